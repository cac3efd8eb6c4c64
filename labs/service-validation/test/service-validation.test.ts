import { testLab } from '@svclab/lab/testing';
import { expect } from 'vitest';

testLab('service-validation', 'svcval', 'gets the apiserver\'s refusals verbatim through the real kubectl', (lines) => {
  expect(lines).toContain('The Service "sample-nodeport-fail" is invalid: spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767');
});
