import { testLab } from '@svclab/lab/testing';

testLab('externalip', 'svcext', 'answers on the listed node IPs from outside, not on the others');
