import { testLab } from '@svclab/lab/testing';

testLab('nodeport', 'svcnp', 'reaches nodePort 30080 on every node from the client host, spread evenly, client masqueraded');
