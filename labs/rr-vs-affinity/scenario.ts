// Tutorial 000: three nginx pods each serving its own IP, a ClusterIP Service, a curl loop. Without
// affinity the requests spread over the pods (iptables picks at random: a chi-square test, where the
// tutorial's ipvs output shows strict round-robin); with sessionAffinity ClientIP one client sticks to
// one pod until the timeout lapses; back to None it spreads again. Then nftables mode (a random spread
// again) and userspace mode
// (ipvs needs IP_VS, which these kernels lack): strict rotation, and ClientIP affinity kept in user space.
import { currentProxyMode, kubectl, looksUniform, runToCompletion, switchProxyMode, untilServed, waitFor, type LabContext, type Scenario } from '@svclab/lab';

const NS = 'test';
const ipsOf = (ctx: LabContext) => ctx.facts.get('ips') as string[];

/** Runs a curl loop in a fresh test pod; returns the answers (each pod answers with its own IP). */
async function curlLoop(ctx: LabContext, name: string, script: string): Promise<string[]> {
  const pod = await runToCompletion({ ...ctx, namespace: NS } as LabContext, name, 'amsy810/tools:v2.0', ['sh', '-c', script], 90_000);
  return pod.log.split('\n').map((l) => l.trim()).filter(Boolean);
}

const counts = (answers: string[], ips: string[]) => ips.map((ip) => answers.filter((a) => a === ip).length);

async function setAffinity(ctx: LabContext, spec: string, shown: string) {
  await kubectl(ctx, ['patch', 'service', 'svc-nginx', '-n', NS, '-p', spec], { shown: `patch service svc-nginx -n test -p '${shown}'` });
  ctx.narrate.say('(kube-proxy rewrites the rules within its minSyncPeriod, 1s)');
  await new Promise((r) => setTimeout(r, 2500));
}

const scenario: Scenario = {
  name: 'rr-vs-affinity',
  title: 'Load balancing vs sessionAffinity: ClientIP (kube-proxy iptables mode)',
  tutorial: '000_3a04ca2c21947dbe.txt (3. Service使用, 负载分发策略)',
  needs: ['curl', 'kubectl'],
  steps: [
    {
      title: 'Three nginx pods, each serving its own IP',
      async run(ctx) {
        await kubectl(ctx, ['create', 'namespace', NS]);
        await kubectl(ctx, ['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '-n', NS]);
        await kubectl(ctx, ['rollout', 'status', 'deployment/nginx', '-n', NS, '--timeout=60s']);
        await kubectl(ctx, ['get', 'pod', '-n', NS, '-o', 'wide']);
        const pods = (await ctx.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=nginx' })).items;
        for (const p of pods) {
          const ip = p.status!.podIP!;
          await kubectl(ctx, ['exec', p.metadata!.name!, '-n', NS, '--', 'sh', '-c', `echo "${ip}" > /usr/share/nginx/html/index.html`],
            { shown: `exec ${p.metadata!.name} -n test -- sh -c 'echo "${ip}" > /usr/share/nginx/html/index.html'` });
        }
        ctx.facts.set('ips', pods.map((p) => p.status!.podIP!).sort());
        ctx.check(pods.length === 3, 'three pods, each with its IP in its own index.html');
      },
    },
    {
      title: 'Without affinity, the requests spread over the three pods',
      async run(ctx) {
        await kubectl(ctx, ['expose', 'deployment', 'nginx', '--name=svc-nginx', '--type=ClusterIP', '--port=80', '--target-port=80', '-n', NS]);
        const svc = await waitFor('the Service', () => ctx.core.readNamespacedService({ name: 'svc-nginx', namespace: NS }));
        ctx.facts.set('url', `http://${svc.spec!.clusterIP}:80/`);
        await kubectl(ctx, ['describe', 'service', 'svc-nginx', '-n', NS]);
        const url = ctx.facts.get('url') as string;
        ctx.narrate.command(`while true; do curl ${url}; done    # 90 requests from a test pod`);
        const answers = await curlLoop(ctx, 'loop-none', `${untilServed(url)} >/dev/null; for i in $(seq 90); do curl -s --max-time 2 ${url}; done`);
        ctx.narrate.output(answers.slice(0, 6).join('\n') + '\n...');
        const c = counts(answers, ipsOf(ctx));
        ctx.check(answers.length === 90 && c.every((n) => n > 0), `all three pods answered (${c.join(' / ')})`);
        const u = looksUniform(c);
        ctx.check(u.ok, `the spread is even: chi-square ${u.statistic.toFixed(2)} < ${u.critical} (iptables picks at random; ipvs rr, as in the tutorial's output, would cycle)`);
      },
    },
    {
      title: 'sessionAffinity: ClientIP (timeoutSeconds: 100) sends one client to one pod',
      async run(ctx) {
        await setAffinity(ctx, '{"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":100}}}}',
          '{"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":100}}}}');
        await kubectl(ctx, ['describe', 'service', 'svc-nginx', '-n', NS]);
        const url = ctx.facts.get('url') as string;
        const answers = await curlLoop(ctx, 'loop-sticky', `for i in $(seq 30); do curl -s --max-time 2 ${url}; done`);
        ctx.narrate.output(answers.slice(0, 6).join('\n') + '\n...');
        ctx.check(answers.length === 30 && new Set(answers).size === 1, `all 30 requests went to ${answers[0]}`, [...new Set(answers)].join(', '));
      },
    },
    {
      title: 'A short timeout: once it lapses, the client may land elsewhere',
      async run(ctx) {
        await setAffinity(ctx, '{"spec":{"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":1}}}}', '{"spec":{"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":1}}}}');
        const url = ctx.facts.get('url') as string;
        ctx.narrate.say('Ten requests, 1.6 s apart, so each one finds the 1 s affinity expired:');
        const answers = await curlLoop(ctx, 'loop-expiry', `for i in $(seq 10); do curl -s --max-time 2 ${url}; sleep 1.6; done`);
        ctx.narrate.output(answers.join('\n'));
        ctx.check(answers.length === 10 && new Set(answers).size > 1, `after each expiry the pick is random again: ${new Set(answers).size} different pods answered`);
      },
    },
    {
      title: 'Back to sessionAffinity: None, the spread returns',
      async run(ctx) {
        await setAffinity(ctx, '{"spec":{"sessionAffinity":"None"}}', '{"spec":{"sessionAffinity":"None"}}');
        const url = ctx.facts.get('url') as string;
        const answers = await curlLoop(ctx, 'loop-again', `for i in $(seq 90); do curl -s --max-time 2 ${url}; done`);
        const c = counts(answers, ipsOf(ctx));
        const u = looksUniform(c);
        ctx.check(answers.length === 90 && u.ok, `all three pods answer again (${c.join(' / ')}; chi-square ${u.statistic.toFixed(2)} < ${u.critical})`);
      },
    },
    {
      title: 'nftables mode: numgen random spreads the requests too',
      async run(ctx) {
        const sw = await switchProxyMode(ctx, 'nftables');
        ctx.check(sw.ok, 'kube-proxy runs in nftables mode on every node (table ip kube-proxy)', sw.failure);
        const url = ctx.facts.get('url') as string;
        const answers = await curlLoop(ctx, 'loop-nft', `${untilServed(url)} >/dev/null; for i in $(seq 90); do curl -s --max-time 2 ${url}; done`);
        const c = counts(answers, ipsOf(ctx));
        const u = looksUniform(c);
        ctx.check(answers.length === 90 && u.ok, `all three pods answer (${c.join(' / ')}; chi-square ${u.statistic.toFixed(2)} < ${u.critical})`);
      },
    },
    {
      title: 'userspace mode: kube-proxy rotates strictly, as the tutorial\'s ipvs rr listing does',
      async run(ctx) {
        const sw = await switchProxyMode(ctx, 'userspace');
        ctx.check(sw.ok, 'kube-proxy runs in userspace mode on every node', sw.failure);
        const url = ctx.facts.get('url') as string;
        const answers = await curlLoop(ctx, 'loop-userspace', `${untilServed(url)} >/dev/null; for i in $(seq 9); do curl -s --max-time 2 ${url}; done`);
        ctx.narrate.output(answers.join('\n'));
        const cycle = answers.slice(0, 3);
        ctx.check(answers.length === 9 && new Set(cycle).size === 3 && answers.every((a, i) => a === cycle[i % 3]), `exact round-robin over the three pods: ${cycle.join(' → ')} → …`);
      },
    },
    {
      title: 'userspace mode with sessionAffinity: ClientIP: kube-proxy pins the client itself',
      async run(ctx) {
        await setAffinity(ctx, '{"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":100}}}}',
          '{"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":100}}}}');
        const url = ctx.facts.get('url') as string;
        const answers = await curlLoop(ctx, 'loop-us-sticky', `for i in $(seq 12); do curl -s --max-time 2 ${url}; done`);
        ctx.check(answers.length === 12 && new Set(answers).size === 1, `all 12 requests went to ${answers[0]}`, [...new Set(answers)].join(', '));
        await setAffinity(ctx, '{"spec":{"sessionAffinity":"None"}}', '{"spec":{"sessionAffinity":"None"}}');
        const back = await switchProxyMode(ctx, 'iptables');
        ctx.check(back.ok, 'back to iptables mode', back.failure);
      },
    },
  ],
  async cleanup(ctx) {
    if ((await currentProxyMode(ctx).catch(() => 'iptables')) !== 'iptables') await switchProxyMode(ctx, 'iptables').catch(() => undefined);
    await ctx.core.deleteNamespace({ name: NS }).catch(() => undefined);
    await waitFor('namespace test to go', async () => !(await ctx.core.readNamespace({ name: NS }).catch(() => undefined)), 60_000).catch(() => undefined);
  },
};

export default scenario;
