// Tutorial 002, §3: the Kubernetes docs' minimal Ingress (rewrite-target /, ingressClassName, /testpath
// Prefix), a host whose paths fan out to two Services, and a default backend for everything no rule
// matches. The echo backends say which pod answered and which path it received.
import { NetworkingV1Api } from '@kubernetes/client-node';
import { applyNarrated, ensureIngressNginx, labFile, parseEcho, readyPods, untilIngressLoaded, untilRouted, type IngressController, type LabContext, type Scenario } from '@svclab/lab';

const manifest = (f: string) => labFile(import.meta.url, f);
const controller = (ctx: LabContext) => ctx.facts.get('controller') as IngressController;
const base = (ctx: LabContext) => `http://${ctx.cluster.nodes[0]!.ip}:${controller(ctx).httpNodePort}`;

interface Answer { status: string; backend?: string; path?: string; body: string }

/** one request from the client host; `backend` is the Deployment whose pod answered */
async function get(ctx: LabContext, path: string, host?: string): Promise<Answer> {
  const hostArg = host ? ` -H 'Host: ${host}'` : '';
  ctx.narrate.command(`curl ${base(ctx)}${path}${host ? ` -H "Host: ${host}"` : ''}`);
  const r = await ctx.cluster.onClientHost(`curl -s --max-time 3 -w '\\n%{http_code}' '${base(ctx)}${path}'${hostArg}`);
  const lines = r.stdout.split('\n');
  const status = lines.pop() ?? '';
  const body = lines.join('\n');
  const echo = parseEcho(lines[0] ?? '');
  ctx.narrate.output(echo ? lines[0]! : `${status} ${body.match(/<title>(.*)<\/title>/)?.[1] ?? body.slice(0, 80)}`);
  return { status, body, backend: echo?.from.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, ''), path: echo?.path };
}

const apply = (ctx: LabContext, file: string) => applyNarrated(ctx, manifest(file));

const scenario: Scenario = {
  name: 'ingress-paths',
  title: 'Ingress rules: rewrite-target, path types, a host fanning out, the default backend',
  tutorial: '002_260c3569735440ea.txt (3.1, 3.2)',
  needs: ['curl'],
  steps: [
    {
      title: 'Four echo backends: test, service1 (4200), service2 (port named http), fallback',
      async run(ctx) {
        ctx.facts.set('controller', await ensureIngressNginx(ctx));
        await apply(ctx, 'backends.yaml');
        for (const app of ['test', 'service1', 'service2', 'fallback']) await readyPods(ctx, `app=${app}`, 1);
        ctx.narrate.ok('four echo pods are ready');
      },
    },
    {
      title: 'The minimal Ingress: /testpath (Prefix) on any host, rewritten to /',
      async run(ctx) {
        await apply(ctx, 'minimal-ingress.yaml');
        await untilIngressLoaded(ctx, 'minimal-ingress');
        await untilRouted(ctx, `${base(ctx)}/testpath`, 'any.example.com');
        for (const p of ['/testpath', '/testpath/foo']) {
          const a = await get(ctx, p);
          ctx.check(a.status === '200' && a.backend === 'test' && a.path === '/', `${p} reaches Service test, which receives "/" (rewrite-target: /)`, a.body.slice(0, 200));
        }
        // ingress-nginx writes a host's paths as case-insensitive regex locations once any of them
        // rewrites (`location ~* "^/testpath"`), so Prefix's element-wise matching is lost there
        const regex = await get(ctx, '/TESTPATHology');
        ctx.check(regex.status === '200' && regex.backend === 'test' && regex.path === '/',
          '/TESTPATHology reaches test too: with rewrite-target, ingress-nginx matches the path as the regex ~* "^/testpath" (case-insensitive, not element-wise)');
      },
    },
    {
      title: 'foo.bar.com fans out: /foo → service1:4200, /bar (Exact) → service2 by port name',
      async run(ctx) {
        await apply(ctx, 'simple-fanout.yaml');
        await untilIngressLoaded(ctx, 'simple-fanout-example');
        await untilRouted(ctx, `${base(ctx)}/foo`, 'foo.bar.com');
        for (const [path, backend, status] of [['/foo', 'service1', '200'], ['/foo/bar', 'service1', '200'], ['/bar', 'service2', '200'], ['/bar/x', undefined, '404'], ['/foobar', undefined, '404']] as const) {
          const a = await get(ctx, path, 'foo.bar.com');
          ctx.check(a.status === status && a.backend === backend && (!backend || a.path === path),
            backend ? `foo.bar.com${path} reaches ${backend}, path unchanged` : `foo.bar.com${path} matches no rule (${path === '/foobar' ? 'Prefix /foo matches whole path elements' : '/bar is Exact'}): 404`, a.body.slice(0, 200));
        }
        const other = await get(ctx, '/foo', 'other.bar.com');
        ctx.check(other.status === '404', 'the same path on another host is not routed: rules are per host');
      },
    },
    {
      title: 'A defaultBackend serves what no rule matches',
      async run(ctx) {
        await apply(ctx, 'default-backend.yaml');
        await untilIngressLoaded(ctx, 'default-backend');
        await untilRouted(ctx, `${base(ctx)}/anything`, 'other.bar.com');
        const other = await get(ctx, '/anything', 'other.bar.com');
        ctx.check(other.status === '200' && other.backend === 'fallback' && other.path === '/anything', 'another host reaches the default backend fallback, path unchanged');
        const rule = await get(ctx, '/testpath');
        ctx.check(rule.backend === 'test', '/testpath still reaches test: a rule wins over the default backend');
        const fan = await get(ctx, '/foo', 'foo.bar.com');
        ctx.check(fan.backend === 'service1', 'foo.bar.com/foo still reaches service1');
      },
    },
  ],
  async cleanup(ctx) {
    const net = ctx.kc.makeApiClient(NetworkingV1Api);
    for (const name of ['minimal-ingress', 'simple-fanout-example', 'default-backend']) await net.deleteNamespacedIngress({ name, namespace: ctx.namespace }).catch(() => undefined);
    await net.deleteIngressClass({ name: 'nginx-example' }).catch(() => undefined);
    for (const name of ['test', 'service1', 'service2', 'fallback']) {
      await ctx.core.deleteNamespacedService({ name, namespace: ctx.namespace }).catch(() => undefined);
      await ctx.apps.deleteNamespacedDeployment({ name, namespace: ctx.namespace }).catch(() => undefined);
    }
  },
};

export default scenario;
