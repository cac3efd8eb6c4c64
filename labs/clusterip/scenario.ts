// Tutorial 001, ClusterIP: a Deployment of three echo pods behind Service sample-clusterip
// (8080 -> 80), reached from a test pod inside the cluster through the kernel's DNAT, by its
// ClusterIP and by its name through the cluster DNS.
import type { V1Pod } from '@kubernetes/client-node';
import { applyNarrated, endpointsTable, labFile, parseEcho, podNameIpTable, readyPods, runToCompletion, servicesTable, untilServed, waitFor, type LabContext, type Scenario } from '@svclab/lab';

const manifest = (f: string) => labFile(import.meta.url, f);
const ipInServiceCIDR = (ip: string) => { const [a, b] = ip.split('.').map(Number) as [number, number]; return a === 10 && b >= 96 && b <= 111; };
const REQUESTS = 30;
// pod names as the Deployment controller makes them: <deployment>-<pod-template-hash>-<5 chars>
const POD_NAME = /^sample-deployment-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/;

const pods = (ctx: LabContext) => ctx.facts.get('pods') as V1Pod[];

const scenario: Scenario = {
  name: 'clusterip',
  title: 'ClusterIP: one virtual IP load-balancing to the pods of a Deployment',
  tutorial: '001_66612836f7c9a8cf.txt (6.2.1, ClusterIP; 6.2.2, DNS A record)',
  needs: ['curl', 'dig'],
  steps: [
    {
      title: 'Deployment sample-deployment runs 3 echo pods labelled app=sample-app',
      async run(ctx) {
        await applyNarrated(ctx, manifest('sample-deployment.yaml'));
        const ready = await readyPods(ctx, 'app=sample-app', 3);
        ctx.facts.set('pods', ready);
        ctx.narrate.command('kubectl get pods -l app=sample-app -o custom-columns="NAME:{metadata.name},IP:{status.podIP}"');
        ctx.narrate.output(podNameIpTable(ready));
        ctx.check(ready.every((p) => POD_NAME.test(p.metadata!.name!)), 'pod names are <deployment>-<pod-template-hash>-<suffix>',
          ready.map((p) => p.metadata!.name).join(', '));
        ctx.check(ready.every((p) => p.metadata!.labels?.['pod-template-hash'] && p.metadata!.labels.app === 'sample-app'),
          'each pod carries app=sample-app and its pod-template-hash label');
      },
    },
    {
      title: 'Service sample-clusterip gets a ClusterIP from 10.96.0.0/12',
      async run(ctx) {
        await applyNarrated(ctx, manifest('sample-clusterip.yaml'));
        const svc = await ctx.core.readNamespacedService({ name: 'sample-clusterip', namespace: ctx.namespace });
        ctx.narrate.command('kubectl get service sample-clusterip');
        ctx.narrate.output(servicesTable([svc]));
        const ip = svc.spec!.clusterIP!;
        ctx.facts.set('clusterIP', ip);
        ctx.check(ipInServiceCIDR(ip), `ClusterIP ${ip} is in the service CIDR 10.96.0.0/12`);
      },
    },
    {
      title: 'Endpoints list exactly the 3 pod IPs on port 80',
      async run(ctx) {
        const want = pods(ctx).map((p) => `${p.status!.podIP}:80`).sort();
        const have = await waitFor('Endpoints of sample-clusterip to list the 3 pods', async () => {
          const ep = await ctx.core.readNamespacedEndpoints({ name: 'sample-clusterip', namespace: ctx.namespace });
          const got = (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`))).sort();
          return got.length === want.length && ep;
        });
        ctx.narrate.command('kubectl get endpoints sample-clusterip');
        ctx.narrate.output(endpointsTable([have]));
        const got = (have.subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`))).sort();
        ctx.check(JSON.stringify(got) === JSON.stringify(want), `Endpoints: ${got.join(',')}`, `expected ${want.join(',')}`);
      },
    },
    {
      title: 'Every pod answers through the ClusterIP, and sees the test pod\'s own IP',
      async run(ctx) {
        const ip = ctx.facts.get('clusterIP') as string;
        const url = `http://${ip}:8080`;
        ctx.narrate.say(`A test pod (amsy810/tools) inside the cluster curls ${url} ${REQUESTS} times:`);
        ctx.narrate.command(`kubectl run --image=amsy810/tools:v2.0 --restart=Never testpod --command -- sh -c 'for i in $(seq ${REQUESTS}); do curl -s ${url}; done'`);
        ctx.narrate.say('(the pod first waits until kube-proxy has programmed the new Service: it syncs at most once per minSyncPeriod, 1s)');
        const run = await runToCompletion(ctx, 'testpod', 'amsy810/tools:v2.0',
          ['sh', '-c', `${untilServed(url)}; for i in $(seq ${REQUESTS}); do curl -s --max-time 3 ${url} || echo "curl failed: $?"; done`]);
        const [first, ...lines] = run.log.split('\n').filter(Boolean);
        ctx.check(first === 'served', `the Service answers on ${url} within 10s of its endpoints becoming ready`, first);
        ctx.narrate.output(lines.slice(0, 5).join('\n') + (lines.length > 5 ? `\n... (${lines.length - 5} more)` : ''));
        ctx.narrate.output('pod "testpod" deleted');
        const testPodIP = run.pod.status!.podIP!;
        const names = new Set(pods(ctx).map((p) => p.metadata!.name!));
        const parsed = lines.map(parseEcho);
        ctx.check(lines.length === REQUESTS && parsed.every(Boolean), `all ${REQUESTS} requests answered in the tutorial's format`,
          lines.filter((_, i) => !parsed[i]).slice(0, 3).join(' | '));
        const answers = parsed.map((a) => a!);
        ctx.check(answers.every((a) => a.host === ip && a.path === '/'), `Host=${ip} Path=/ in every answer`);
        ctx.check(answers.every((a) => names.has(a.from)), 'every From= is a pod of sample-deployment');
        const seen = new Set(answers.map((a) => a.from));
        ctx.check(seen.size === names.size, `all ${names.size} pods answered (${[...seen].map((n) => `${n}: ${answers.filter((a) => a.from === n).length}`).join(', ')})`);
        ctx.check(answers.every((a) => a.client === testPodIP), `ClientIP= is the test pod's own IP ${testPodIP}: pod -> ClusterIP is not masqueraded`,
          `saw ${[...new Set(answers.map((a) => a.client))].join(', ')}`);
      },
    },
    {
      title: 'Service discovery by DNS A record (6.2.2): http://sample-clusterip:8080 by name, and dig of its FQDN',
      async run(ctx) {
        const ip = ctx.facts.get('clusterIP') as string;
        const fqdn = `sample-clusterip.${ctx.namespace}.svc.cluster.local`;
        ctx.narrate.command('kubectl run --image=amsy810/tools:v2.0 --restart=Never --rm -i testpod --command -- curl -s http://sample-clusterip:8080');
        const byName = await runToCompletion(ctx, 'dnspod', 'amsy810/tools:v2.0', ['sh', '-c', `curl -s --max-time 3 http://sample-clusterip:8080; echo; dig ${fqdn}`]);
        const [answer, ...dig] = byName.log.split('\n');
        ctx.narrate.output(answer ?? '');
        const echo = parseEcho(answer ?? '');
        ctx.check(!!echo && echo.host === 'sample-clusterip' && pods(ctx).some((p) => p.metadata!.name === echo.from),
          'the short name resolves (search <namespace>.svc.cluster.local, ndots:5) and a pod answers with Host=sample-clusterip', answer);
        ctx.narrate.command(`kubectl run --image=amsy810/tools:v2.0 --restart=Never --rm -i testpod --command -- dig ${fqdn}`);
        const question = dig.findIndex((l) => l.startsWith(';; QUESTION SECTION:'));
        const section = dig.findIndex((l) => l.startsWith(';; ANSWER SECTION:'));
        ctx.narrate.output(['...', ...dig.slice(question, question + 2), '', ...dig.slice(section, section + 2), '...'].join('\n'));
        const record = (dig[section + 1] ?? '').split(/\s+/);
        ctx.check(section > 0 && JSON.stringify(record) === JSON.stringify([`${fqdn}.`, '30', 'IN', 'A', ip]),
          `${fqdn}. 30 IN A ${ip}: the Service's ClusterIP, from the cluster DNS (kube-dns)`, dig.slice(section, section + 3).join(' | '));
      },
    },
  ],
  async cleanup(ctx) {
    const ns = ctx.namespace;
    await Promise.all([
      ctx.core.deleteNamespacedPod({ name: 'testpod', namespace: ns }).catch(() => undefined),
      ctx.core.deleteNamespacedPod({ name: 'dnspod', namespace: ns }).catch(() => undefined),
      ctx.core.deleteNamespacedService({ name: 'sample-clusterip', namespace: ns }).catch(() => undefined),
      ctx.apps.deleteNamespacedDeployment({ name: 'sample-deployment', namespace: ns }).catch(() => undefined),
    ]);
  },
};

export default scenario;
