import { testLab } from '@svclab/lab/testing';

testLab('ingress-basic', 'svcingb', 'routes Host hello.nginx.com through the controller\'s NodePort to nginx-svc\'s pods ("Welcome to nginx!"), and an unknown host to the default backend\'s 404');
