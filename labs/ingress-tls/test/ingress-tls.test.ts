import { testLab } from '@svclab/lab/testing';

testLab('ingress-tls', 'svcingt', 'serves myblog.devops.cn over HTTPS with the self-signed *.devops.cn Secret chosen by SNI, redirects plain HTTP with 308, and serves a replaced Secret without a restart');
