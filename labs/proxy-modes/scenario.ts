// Tutorial 004 §1.4's chain walk, read from a node's live iptables-save (KUBE-SERVICES → KUBE-SVC-<hash>
// → KUBE-SEP-<hash> → DNAT to the pods), then tutorial 000's mode switch through the kube-proxy
// ConfigMap: ipvs (which this kernel may lack: kube-proxy says so and the old rules keep carrying
// traffic), userspace (kube-proxy itself proxies, in strict rotation), and back to iptables.
import { applyNarrated, currentProxyMode, labFile, LabContext, parseEcho, readyPods, switchProxyMode, untilServed, type Scenario } from '@svclab/lab';
import { endpointChain, serviceChain } from '@svclab/proxy';

const NS = 'uit';
const SVC = 'uit/svc-np-ublog';
const manifest = (f: string) => labFile(import.meta.url, f);
const worker = (ctx: LabContext) => ctx.cluster.nodes.find((n) => n.name.endsWith('-worker')) ?? ctx.cluster.nodes[1]!;
const podIPs = (ctx: LabContext) => ctx.facts.get('podIPs') as string[];

/** a command on the worker node, narrated as the tutorial shows it */
async function onWorker(ctx: LabContext, script: string): Promise<string> {
  const node = worker(ctx).name;
  ctx.narrate.command(`${script}    # on node ${node}`);
  const r = await ctx.cluster.onNode(node, script);
  if (r.stdout.trim()) ctx.narrate.output(r.stdout.trimEnd());
  return r.stdout;
}

/** n requests from the client host (outside the nodes) to the worker's NodePort; the echo answers */
async function requests(ctx: LabContext, n: number) {
  const url = `http://${worker(ctx).ip}:32333/`;
  ctx.narrate.command(`for i in $(seq ${n}); do curl -s ${url}; done    # from the client host`);
  const r = await ctx.cluster.onClientHost(`${untilServed(url)} >/dev/null; for i in $(seq ${n}); do curl -s --max-time 3 ${url} || echo failed; done`);
  const lines = r.stdout.split('\n').filter(Boolean);
  ctx.narrate.output(lines.join('\n'));
  return lines.map((l) => parseEcho(l));
}

const scenario: Scenario = {
  name: 'proxy-modes',
  title: 'kube-proxy modes: the iptables chain walk, then ipvs and userspace through the ConfigMap',
  tutorial: '004_720ffc01494b241a.txt (1.4 Service 实现原理, Iptables 抓包流程) and 000_3a04ca2c21947dbe.txt (kube-proxy 模式)',
  needs: ['curl', 'kubectl'],
  steps: [
    {
      title: 'ublog: two pods on port 8002 behind the NodePort Service svc-np-ublog (32333)',
      async run(ctx) {
        await applyNarrated(ctx, manifest('ublog.yaml'));
        const pods = await readyPods(new LabContext(ctx.kc, ctx.cluster, ctx.narrate, NS), 'app=ublog', 2, 60_000);
        ctx.facts.set('podIPs', pods.map((p) => p.status!.podIP!).sort());
        const answers = await requests(ctx, 2);
        ctx.check(answers.every((a) => a), `the NodePort answers from the client host (${answers.map((a) => a?.from).join(', ')})`);
      },
    },
    {
      title: 'The chain walk in the worker\'s iptables-save (tutorial 004)',
      async run(ctx) {
        const rules = await onWorker(ctx, 'iptables-save | grep svc-np-ublog');
        const svc = serviceChain(SVC, 'TCP');
        ctx.check(new RegExp(`^-A KUBE-SERVICES -d \\S+/32 -p tcp -m comment --comment "${SVC} cluster IP" -m tcp --dport 80 -j ${svc}$`, 'm').test(rules),
          `KUBE-SERVICES sends the ClusterIP:80 to ${svc} = "KUBE-SVC-" + base32(sha256("${SVC}" + "tcp"))[:16]`);
        ctx.narrate.say(`(The tutorial's older kube-proxy wrote an unnamed port as "${SVC}:", which the same hash turns into ${serviceChain(`${SVC}:`, 'TCP')}: the very chain the tutorial prints.)`);
        ctx.check(serviceChain(`${SVC}:`, 'TCP') === 'KUBE-SVC-FQQJWIJEBH5A6SF6' && endpointChain(`${SVC}:`, 'TCP', '10.244.1.35:8002') === 'KUBE-SEP-U4JA5WF5RRIRERN5',
          'the hash reproduces the tutorial\'s own chain names (KUBE-SVC-FQQJWIJEBH5A6SF6, KUBE-SEP-U4JA5WF5RRIRERN5)');
        const ext = rules.match(/^-A KUBE-NODEPORTS -p tcp -m comment --comment "?uit\/svc-np-ublog"? -m tcp --dport 32333 -j (KUBE-EXT-\w+)$/m)?.[1];
        ctx.check(!!ext, `KUBE-NODEPORTS sends --dport 32333 to ${ext} (newer kube-proxy's KUBE-EXT chain: the tutorial's KUBE-MARK-MASQ + KUBE-SVC pair)`, rules);
        const extRules = await onWorker(ctx, `iptables-save | grep "^-A ${ext}"`);
        ctx.check(/-j KUBE-MARK-MASQ/.test(extRules) && extRules.includes(`-j ${svc}`), `${ext} marks the packet for masquerade, then jumps to ${svc}`);

        const svcRules = (await onWorker(ctx, `iptables-save | grep ${svc}`)).split('\n').filter((l) => l.startsWith(`-A ${svc} `) && l.includes('KUBE-SEP-'));
        const seps = svcRules.map((l) => l.match(/-j (KUBE-SEP-\w+)$/)![1]!);
        ctx.check(svcRules.length === 2 && svcRules[0]!.includes('-m statistic --mode random --probability 0.50000000000') && !svcRules[1]!.includes('statistic'),
          `${svc}: 50% to ${seps[0]}, the rest to ${seps[1]}, as in the tutorial`, svcRules.join('\n'));
        const targets: string[] = [];
        for (const sep of seps) {
          const sepRules = await onWorker(ctx, `iptables-save | grep "^-A ${sep}"`);
          const to = sepRules.match(/-j DNAT --to-destination (\S+)$/m)?.[1] ?? '';
          const ip = to.split(':')[0]!;
          ctx.check(new RegExp(`-s ${ip}/32 -m comment --comment "?${SVC}"? -j KUBE-MARK-MASQ`).test(sepRules) && to.endsWith(':8002') && sep === endpointChain(SVC, 'TCP', to),
            `${sep} masquerades the pod's own traffic (hairpin) and DNATs to ${to}`);
          targets.push(ip);
        }
        ctx.check(targets.sort().join() === podIPs(ctx).join(), `the DNAT targets are the two pod IPs (${podIPs(ctx).join(', ')})`);
      },
    },
    {
      title: 'mode: ipvs in the kube-proxy ConfigMap, kube-proxy pods deleted (tutorial 000)',
      async run(ctx) {
        const sw = await switchProxyMode(ctx, 'ipvs');
        if (sw.ok) {
          const list = await onWorker(ctx, 'ipvsadm -Ln');
          ctx.check(/^TCP\s+\S+:80 rr/m.test(list) && (list.match(/:8002\s+Masq/g) ?? []).length === 2, 'ipvsadm -Ln shows the ClusterIP with rr over the two pods');
          return;
        }
        ctx.check(/can't use the IPVS proxier/.test(sw.failure ?? '') && /IP_VS/.test(sw.failure ?? ''),
          'this kernel has no IPVS: the new kube-proxy stops with a message naming the missing IP_VS support and how to load it');
        const still = await onWorker(ctx, `iptables-save | grep -c "^-A ${serviceChain(SVC, 'TCP')}"`);
        const answers = await requests(ctx, 4);
        ctx.check(Number(still.trim()) > 0 && answers.every((a) => a), 'nothing was torn down: the iptables rules it found keep carrying traffic');
      },
    },
    {
      title: 'mode: userspace: kube-proxy itself proxies each Service port, in strict rotation',
      async run(ctx) {
        const sw = await switchProxyMode(ctx, 'userspace');
        ctx.check(sw.ok, 'the new kube-proxy pods run in userspace mode on every node', sw.failure);
        const rules = await onWorker(ctx, 'iptables-save | grep -E "KUBE-PORTALS|KUBE-NODEPORT-|KUBE-SVC-" | grep svc-np-ublog');
        ctx.check(/KUBE-PORTALS-CONTAINER .*-j REDIRECT --to-ports \d+/.test(rules) && !/KUBE-SVC-/.test(rules),
          'the iptables mode\'s chains are gone; the ClusterIP and NodePort are REDIRECTed to a port kube-proxy listens on');
        const answers = await requests(ctx, 8);
        const from = answers.map((a) => a?.from ?? 'failed');
        ctx.check(from.every((f, i) => f === from[i % 2]) && from[0] !== from[1], `round-robin, one pod after the other: ${from.join(' ')}`);
        const clients = new Set(answers.map((a) => a?.client));
        ctx.check(!clients.has('172.18.0.1'), `the pods see kube-proxy's connection from the node (${[...clients].join(', ')}), not the client's address`);
      },
    },
    {
      title: 'Back to mode: iptables',
      async run(ctx) {
        const sw = await switchProxyMode(ctx, 'iptables');
        ctx.check(sw.ok, 'the new kube-proxy pods run in iptables mode again', sw.failure);
        const left = await onWorker(ctx, 'iptables-save | grep -c KUBE-PORTALS');
        const answers = await requests(ctx, 4);
        ctx.check(Number(left.trim()) === 0 && answers.every((a) => a), 'the userspace portals are removed and the KUBE-SVC chains carry the traffic again');
      },
    },
  ],
  async cleanup(ctx) {
    if ((await currentProxyMode(ctx).catch(() => 'iptables')) !== 'iptables') await switchProxyMode(ctx, 'iptables').catch(() => undefined);
    await ctx.core.deleteNamespace({ name: NS }).catch(() => undefined);
  },
};

export default scenario;
