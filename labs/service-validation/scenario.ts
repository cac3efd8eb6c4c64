// Tutorial 001: the apiserver's answers to Services it must refuse (a nodePort out of range, a
// nodePort already taken, a ClusterIP out of range, a ClusterIP changed after creation), driven
// with the real kubectl and checked against its verbatim output.
import { readFile } from 'node:fs/promises';
import { kubectl, labFile, type LabContext, type Scenario } from '@svclab/lab';

const manifest = (f: string) => labFile(import.meta.url, f);
const apply = (ctx: LabContext, file: string, text?: string) =>
  kubectl(ctx, ['apply', '-f', text ? '-' : manifest(file)], { input: text, shown: `apply -f ${file}` });

const scenario: Scenario = {
  name: 'service-validation',
  title: 'Service validation: NodePort range and collisions, static ClusterIP and its immutability',
  tutorial: '001_66612836f7c9a8cf.txt (6.3.2, 6.5, 6.5.2)',
  needs: ['kubectl'],
  steps: [
    {
      title: 'NodePort 30080 is accepted',
      async run(ctx) {
        const r = await apply(ctx, 'sample-nodeport.yaml');
        ctx.check(r.stdout === 'service/sample-nodeport created', 'kubectl: service/sample-nodeport created', r.output);
        const get = await kubectl(ctx, ['get', 'service', 'sample-nodeport']);
        ctx.check(/sample-nodeport\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+8080:30080\/TCP/.test(get.stdout), 'PORT(S) shows 8080:30080/TCP', get.output);
      },
    },
    {
      title: 'nodePort 8888 is outside the NodePort range',
      async run(ctx) {
        const r = await apply(ctx, 'sample-nodeport-fail.yaml');
        const want = 'The Service "sample-nodeport-fail" is invalid: spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767';
        ctx.check(r.exitCode !== 0 && r.stderr === want, 'kubectl prints the tutorial\'s error verbatim', `got: ${r.output}`);
      },
    },
    {
      title: 'nodePort 30080 is already taken by sample-nodeport',
      async run(ctx) {
        const r = await apply(ctx, 'sample-nodeport-fail2.yaml');
        const want = 'The Service "sample-nodeport-fail2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated';
        ctx.check(r.exitCode !== 0 && r.stderr === want, 'kubectl prints the tutorial\'s error verbatim', `got: ${r.output}`);
      },
    },
    {
      title: 'The tutorial\'s static ClusterIP 10.11.253.81 is outside this cluster\'s service CIDR',
      async run(ctx) {
        const r = await apply(ctx, 'sample-clusterip-vip.yaml');
        const want = 'The Service "sample-clusterip-vip" is invalid: spec.clusterIPs: Invalid value: []string{"10.11.253.81"}: failed to allocate IP 10.11.253.81: the provided IP (10.11.253.81) is not in the valid range. The range of valid IPs is 10.96.0.0/12';
        ctx.check(r.exitCode !== 0 && r.stderr === want, 'rejected: the tutorial ran on GKE, whose range differs from kind\'s 10.96.0.0/12', `got: ${r.output}`);
      },
    },
    {
      title: 'A static ClusterIP inside 10.96.0.0/12 is taken as given',
      async run(ctx) {
        ctx.narrate.say('The same manifest with an address from this cluster\'s range, 10.96.253.81:');
        const text = (await readFile(manifest('sample-clusterip-vip.yaml'), 'utf8')).replaceAll('10.11.253.81', '10.96.253.81');
        const r = await apply(ctx, 'sample-clusterip-vip.yaml', text);
        ctx.check(r.stdout === 'service/sample-clusterip-vip created', 'kubectl: service/sample-clusterip-vip created', r.output);
        const ip = await kubectl(ctx, ['get', 'service', 'sample-clusterip-vip', '-o', 'jsonpath={.spec.clusterIP}']);
        ctx.check(ip.stdout === '10.96.253.81', 'its ClusterIP is 10.96.253.81', ip.output);
      },
    },
    {
      title: 'A ClusterIP cannot change once set; delete and create again instead',
      async run(ctx) {
        const text = (await readFile(manifest('sample-clusterip-vip.yaml'), 'utf8')).replaceAll('10.11.253.81', '10.96.253.82');
        const r = await apply(ctx, 'sample-clusterip-vip.yaml', text);
        const want = 'The Service "sample-clusterip-vip" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.253.82"}: may not change once set';
        ctx.check(r.exitCode !== 0 && r.stderr === want, 'kubectl apply with another clusterIP is rejected: the field is immutable', `got: ${r.output}`);
        await kubectl(ctx, ['delete', 'service', 'sample-clusterip-vip']);
        const again = await apply(ctx, 'sample-clusterip-vip.yaml', text);
        ctx.check(again.stdout === 'service/sample-clusterip-vip created', 'after deleting it, the Service is created with the new ClusterIP', again.output);
      },
    },
  ],
  async cleanup(ctx) {
    for (const name of ['sample-nodeport', 'sample-clusterip-vip']) await ctx.core.deleteNamespacedService({ name, namespace: ctx.namespace }).catch(() => undefined);
  },
};

export default scenario;
