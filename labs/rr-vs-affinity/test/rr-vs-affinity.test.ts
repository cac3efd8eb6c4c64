import { testLab } from '@svclab/lab/testing';

testLab('rr-vs-affinity', 'svcrr', 'spreads without affinity, sticks with ClientIP, lets go after the timeout, spreads again');
