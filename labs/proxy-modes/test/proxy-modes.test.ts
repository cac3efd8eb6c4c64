import { testLab } from '@svclab/lab/testing';

testLab('proxy-modes', 'svcpm', 'walks KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT on a node, refuses ipvs with the reason, round-robins in userspace, and comes back to iptables');
