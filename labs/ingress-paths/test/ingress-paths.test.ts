import { testLab } from '@svclab/lab/testing';

testLab('ingress-paths', 'svcingp', 'rewrites /testpath to / for the minimal Ingress, fans foo.bar.com out by path (Prefix element-wise, Exact), and sends what no rule matches to the default backend');
