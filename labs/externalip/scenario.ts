// Tutorial 001, 6.4: a ClusterIP Service with externalIPs set to node addresses answers on
// <node ip>:8080 from outside the cluster, on the listed nodes only.
import { readFile } from 'node:fs/promises';
import { applyNarrated, kubectl, labFile, parseEcho, readyPods, untilServed, type Scenario } from '@svclab/lab';

const manifest = (f: string) => labFile(import.meta.url, f);

const scenario: Scenario = {
  name: 'externalip',
  title: 'ExternalIP: a Service reachable on chosen node addresses',
  tutorial: '001_66612836f7c9a8cf.txt (6.4 ExternalIP Service)',
  needs: ['curl', 'kubectl'],
  steps: [
    {
      title: 'Service sample-externalip lists two node IPs as externalIPs',
      async run(ctx) {
        await applyNarrated(ctx, manifest('sample-deployment.yaml'));
        await readyPods(ctx, 'app=sample-app', 3);
        await kubectl(ctx, ['get', 'nodes', '-o', 'custom-columns=NAME:{metadata.name},IP:{status.addresses[0].address}']);
        const [listed1, listed2, unlisted] = [ctx.cluster.nodes[1]!, ctx.cluster.nodes[2]!, ctx.cluster.nodes[0]!];
        const yaml = (await readFile(manifest('sample-externalip.yaml'), 'utf8')).replace('NODE_IP_1', listed1.ip).replace('NODE_IP_2', listed2.ip);
        ctx.narrate.say(`externalIPs: ${listed1.ip} (${listed1.name}), ${listed2.ip} (${listed2.name})`);
        const r = await kubectl(ctx, ['apply', '-f', '-'], { input: yaml, shown: 'apply -f sample-externalip.yaml' });
        ctx.check(r.stdout === 'service/sample-externalip created', 'kubectl: service/sample-externalip created', r.output);
        const get = await kubectl(ctx, ['get', 'service', 'sample-externalip']);
        ctx.check(get.stdout.includes(`${listed1.ip},${listed2.ip}`), 'EXTERNAL-IP shows both addresses', get.output);
        ctx.facts.set('listed', [listed1, listed2]);
        ctx.facts.set('unlisted', unlisted);
      },
    },
    {
      title: 'curl <listed node ip>:8080 from outside the cluster is answered; an unlisted node is not',
      async run(ctx) {
        for (const node of ctx.facts.get('listed') as Array<{ name: string; ip: string }>) {
          const url = `http://${node.ip}:8080`;
          ctx.narrate.command(`curl ${url}    # from the client host, outside the nodes`);
          const r = await ctx.cluster.onClientHost(`${untilServed(url)} >/dev/null && curl -s --max-time 2 ${url}`);
          ctx.narrate.output(r.stdout);
          const a = parseEcho(r.stdout);
          ctx.check(r.exitCode === 0 && a?.host === node.ip && a.path === '/' && a.from.startsWith('sample-deployment-'), `${node.name} answers with Host=${node.ip} and a pod of sample-deployment`, r.stdout);
        }
        const other = ctx.facts.get('unlisted') as { name: string; ip: string };
        const refused = await ctx.cluster.onClientHost(`curl -s --max-time 2 http://${other.ip}:8080; echo "exit=$?"`);
        ctx.narrate.command(`curl http://${other.ip}:8080    # ${other.name} is not in externalIPs`);
        ctx.narrate.output(refused.stdout);
        ctx.check(/exit=(7|28)/.test(refused.stdout), `${other.name} does not serve the Service on 8080 (connection refused)`, refused.stdout);
      },
    },
  ],
  async cleanup(ctx) {
    await ctx.core.deleteNamespacedService({ name: 'sample-externalip', namespace: ctx.namespace }).catch(() => undefined);
    await ctx.apps.deleteNamespacedDeployment({ name: 'sample-deployment', namespace: ctx.namespace }).catch(() => undefined);
  },
};

export default scenario;
