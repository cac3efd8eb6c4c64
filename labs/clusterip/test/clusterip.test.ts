import { testLab } from '@svclab/lab/testing';
import { expect } from 'vitest';

testLab('clusterip', 'svcci', 'passes every assertion through the kernel data path, narrating the tutorial\'s output', (lines) => {
  expect(lines).toContain('# kubectl get service sample-clusterip');
  expect(lines.some((l) => /^Host=10\.\d+\.\d+\.\d+ Path=\/ From=sample-deployment-\S+ ClientIP=10\.244\.\d+\.\d+ XFF=$/m.test(l))).toBe(true);
});
