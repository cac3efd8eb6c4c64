// Tutorials 001 (6.5) and 004: a NodePort Service answers on port 30080 of every node's address,
// from a client outside the cluster, even on a node that runs none of its pods; kube-proxy spreads
// the requests over the pods, and the client's address is masqueraded (externalTrafficPolicy: Cluster).
import type { V1Pod } from '@kubernetes/client-node';
import { applyNarrated, labFile, looksUniform, parseEcho, readyPods, servicesTable, untilServed, type LabContext, type Scenario } from '@svclab/lab';

const manifest = (f: string) => labFile(import.meta.url, f);
const PER_NODE = 60;
const pods = (ctx: LabContext) => ctx.facts.get('pods') as V1Pod[];

const scenario: Scenario = {
  name: 'nodeport',
  title: 'NodePort: port 30080 on every node, from a client outside the cluster',
  tutorial: '001_66612836f7c9a8cf.txt (6.5) and 004_720ffc01494b241a.txt (NodePort)',
  needs: ['curl'],
  steps: [
    {
      title: 'Three echo pods behind Service sample-nodeport (8080:30080)',
      async run(ctx) {
        await applyNarrated(ctx, manifest('sample-deployment.yaml'), manifest('sample-nodeport.yaml'));
        ctx.facts.set('pods', await readyPods(ctx, 'app=sample-app', 3));
        const svc = await ctx.core.readNamespacedService({ name: 'sample-nodeport', namespace: ctx.namespace });
        ctx.narrate.command('kubectl get service sample-nodeport');
        ctx.narrate.output(servicesTable([svc]));
        ctx.check(svc.spec!.ports![0]!.nodePort === 30080, 'the Service holds nodePort 30080');
        const hosts = new Set(pods(ctx).map((p) => p.spec!.nodeName));
        const empty = ctx.cluster.nodes.filter((n) => !hosts.has(n.name)).map((n) => n.name);
        ctx.narrate.say(`Pods run on ${[...hosts].join(', ')}; ${empty.length ? `${empty.join(', ')} runs none of them.` : 'every node runs one.'}`);
      },
    },
    {
      title: 'Every node answers on 30080, from a client outside the nodes',
      async run(ctx) {
        const names = new Set(pods(ctx).map((p) => p.metadata!.name!));
        const counts = new Map<string, number>([...names].map((n) => [n, 0]));
        const nodeIPs = new Set(ctx.cluster.nodes.map((n) => n.ip));
        for (const node of ctx.cluster.nodes) {
          const url = `http://${node.ip}:30080/`;
          ctx.narrate.command(`curl -s ${url}    # ${PER_NODE} times, from the client host`);
          // the first request may race kube-proxy's first sync of the new Service (minSyncPeriod 1s)
          const r = await ctx.cluster.onClientHost(`${untilServed(url)} >/dev/null; for i in $(seq ${PER_NODE}); do curl -s --max-time 3 ${url} || echo "curl failed: $?"; done`);
          const lines = r.stdout.split('\n').filter(Boolean);
          ctx.narrate.output(lines.slice(0, 2).join('\n') + `\n... (${lines.length - 2} more)`);
          const parsed = lines.map(parseEcho);
          ctx.check(r.exitCode === 0 && lines.length === PER_NODE && parsed.every(Boolean), `${node.name} (${node.ip}) answered all ${PER_NODE} requests`, lines.find((_, i) => !parsed[i]));
          ctx.check(parsed.every((a) => names.has(a!.from)), `every answer via ${node.name} came from a pod of sample-deployment`);
          const clients = new Set(parsed.map((a) => a!.client));
          ctx.check(![...clients].includes('172.18.0.1') && [...clients].every((ip) => nodeIPs.has(ip) || ip.startsWith('10.244.')),
            `the pods saw ${[...clients].join(', ')}, not the client's 172.18.0.1: external traffic is masqueraded`);
          for (const a of parsed) counts.set(a!.from, counts.get(a!.from)! + 1);
        }
        const spread = looksUniform([...counts.values()]);
        ctx.check(spread.ok, `the ${PER_NODE * ctx.cluster.nodes.length} requests spread evenly over the 3 pods (${[...counts.values()].join(' / ')}; chi-square ${spread.statistic.toFixed(2)} < ${spread.critical})`);
      },
    },
  ],
  async cleanup(ctx) {
    await ctx.core.deleteNamespacedService({ name: 'sample-nodeport', namespace: ctx.namespace }).catch(() => undefined);
    await ctx.apps.deleteNamespacedDeployment({ name: 'sample-deployment', namespace: ctx.namespace }).catch(() => undefined);
  },
};

export default scenario;
