// Tutorial 004 (Ingress, HTTPS): a self-signed *.devops.cn certificate made with openssl, stored with
// `kubectl create secret tls`, named in an Ingress's tls section; HTTPS with SNI myblog.devops.cn is
// served with it, plain HTTP is redirected (308), and a replaced Secret is served without a restart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import { applyNarrated, ensureIngressNginx, kubectl, labFile, parseEcho, readyPods, untilIngressLoaded, untilRouted, waitFor, type IngressController, type LabContext, type Scenario } from '@svclab/lab';

const manifest = (f: string) => labFile(import.meta.url, f);
const controller = (ctx: LabContext) => ctx.facts.get('controller') as IngressController;
const HOST = 'myblog.devops.cn';
const node = (ctx: LabContext) => ctx.cluster.nodes[0]!.ip;

/** `openssl req -x509 …` as the tutorial runs it; returns the certificate's SHA-256 fingerprint */
async function makeCert(dir: string, ctx: LabContext): Promise<string> {
  const args = ['req', '-x509', '-nodes', '-days', '2920', '-newkey', 'rsa:2048', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-subj', '/CN=*.devops.cn/O=ingress-nginx'];
  ctx.narrate.command('openssl req -x509 -nodes -days 2920 -newkey rsa:2048 -keyout tls.key -out tls.crt -subj "/CN=*.devops.cn/O=ingress-nginx"');
  await execa('openssl', args);
  return fingerprintOf(String((await execa('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(dir, 'tls.crt')])).stdout));
}

const fingerprintOf = (text: string) => text.match(/Fingerprint=([0-9A-F:]+)/i)?.[1] ?? '';

/** the certificate the controller presents for `sni`, from the client host */
async function served(ctx: LabContext, sni: string): Promise<{ subject: string; fingerprint: string }> {
  const port = controller(ctx).httpsNodePort;
  const r = await ctx.cluster.onClientHost(`echo | openssl s_client -connect ${node(ctx)}:${port} -servername ${sni} 2>/dev/null | openssl x509 -noout -subject -fingerprint -sha256`);
  return { subject: r.stdout.match(/subject=(.*)/)?.[1]?.trim() ?? '', fingerprint: fingerprintOf(r.stdout) };
}

const scenario: Scenario = {
  name: 'ingress-tls',
  title: 'Ingress TLS: a self-signed *.devops.cn certificate from a Secret, chosen by SNI; HTTP redirected',
  tutorial: '004_720ffc01494b241a.txt (2.1 Ingress-nginx, HTTPS访问)',
  needs: ['openssl', 'curl', 'kubectl'],
  steps: [
    {
      title: 'myblog behind a ClusterIP Service in namespace demo',
      async run(ctx) {
        ctx.facts.set('controller', await ensureIngressNginx(ctx));
        await applyNarrated(ctx, manifest('myblog.yaml'));
        await readyPods(ctx, 'app=myblog', 2, 30_000, 'demo');
        ctx.narrate.ok('two myblog pods are ready in demo');
      },
    },
    {
      title: 'A self-signed *.devops.cn certificate, stored with kubectl create secret tls',
      async run(ctx) {
        const dir = await mkdtemp(join(tmpdir(), 'svclab-tls-'));
        ctx.facts.set('dir', dir);
        ctx.facts.set('fingerprint', await makeCert(dir, ctx));
        const r = await kubectl(ctx, ['-n', 'demo', 'create', 'secret', 'tls', 'https-secret', '--key', join(dir, 'tls.key'), '--cert', join(dir, 'tls.crt')], { shown: '-n demo create secret tls https-secret --key tls.key --cert tls.crt' });
        ctx.check(r.exitCode === 0 && r.stdout.trim() === 'secret/https-secret created', 'secret/https-secret created');
      },
    },
    {
      title: 'Ingress myblog-tls: HTTPS with SNI myblog.devops.cn is served with that certificate',
      async run(ctx) {
        await applyNarrated(ctx, manifest('myblog-tls.yaml'));
        const port = controller(ctx).httpsNodePort;
        const url = `https://${HOST}:${port}/blog/index/`;
        const resolve = `--resolve ${HOST}:${port}:${node(ctx)}`;
        await untilIngressLoaded(ctx, 'myblog-tls', 'demo');
        await untilRouted(ctx, url, HOST, 15_000, `-k ${resolve}`);
        ctx.narrate.command(`curl -k ${resolve} ${url}`);
        const r = await ctx.cluster.onClientHost(`curl -s -k --max-time 3 ${resolve} -w '\\n%{http_code}' ${url}`);
        const lines = r.stdout.split('\n');
        const status = lines.at(-1);
        const line = lines[0];
        ctx.narrate.output(line ?? '');
        const echo = parseEcho(line ?? '');
        ctx.check(status === '200' && !!echo?.from.startsWith('myblog-') && echo.path === '/blog/index/', `https://${HOST}/blog/index/ → 200 from a myblog pod`, r.stdout);
        const cert = await waitFor('the Secret\'s certificate to be served', async () => { const c = await served(ctx, HOST); return c.fingerprint === ctx.facts.get('fingerprint') && c; }, 10_000);
        ctx.narrate.command(`openssl s_client -connect ${node(ctx)}:${port} -servername ${HOST} | openssl x509 -noout -subject`);
        ctx.narrate.output(`subject=${cert.subject}`);
        ctx.check(/CN\s*=\s*\*\.devops\.cn/.test(cert.subject), 'SNI myblog.devops.cn gets the *.devops.cn certificate from https-secret (same SHA-256 fingerprint as tls.crt)');
        const other = await served(ctx, 'unknown.example.com');
        ctx.check(other.subject.includes('Kubernetes Ingress Controller Fake Certificate'), `another SNI gets the controller's default certificate (${other.subject})`);
      },
    },
    {
      title: 'Plain HTTP to myblog.devops.cn is redirected to HTTPS with 308',
      async run(ctx) {
        const url = `http://${node(ctx)}:${controller(ctx).httpNodePort}/blog/index/`;
        ctx.narrate.command(`curl -i ${url} -H "Host: ${HOST}"`);
        const r = await ctx.cluster.onClientHost(`curl -s -i --max-time 3 ${url} -H 'Host: ${HOST}'`);
        const head = r.stdout.split('\r\n\r\n')[0] ?? '';
        ctx.narrate.output(head.split('\r\n').filter((l) => /^HTTP|^Location/i.test(l)).join('\n'));
        // ingress-nginx drops one trailing slash from the redirect unless preserve-trailing-slash is set
        ctx.check(/^HTTP\/1\.1 308 Permanent Redirect/.test(head) && /^Location: https:\/\/myblog\.devops\.cn\/blog\/index$/im.test(head),
          'HTTP → 308 Permanent Redirect to https://myblog.devops.cn/blog/index (ingress-nginx drops the trailing slash unless preserve-trailing-slash is set)', head);
      },
    },
    {
      title: 'A replaced Secret is served without restarting the controller',
      async run(ctx) {
        const dir = ctx.facts.get('dir') as string;
        const before = controller(ctx).pod;
        const fingerprint = await makeCert(dir, ctx);
        // the pipe's first half renders the Secret locally; the helper runs and narrates the whole pipe's effect
        const yaml = await execa('kubectl', ['--kubeconfig', ctx.cluster.kubeconfigPath, '-n', 'demo', 'create', 'secret', 'tls', 'https-secret', '--key', join(dir, 'tls.key'), '--cert', join(dir, 'tls.crt'), '--dry-run=client', '-o', 'yaml']);
        await kubectl(ctx, ['apply', '-f', '-'], { input: String(yaml.stdout), shown: '-n demo create secret tls https-secret --key tls.key --cert tls.crt --dry-run=client -o yaml | kubectl apply -f -' });
        const t0 = Date.now();
        await waitFor('the new certificate to be served', async () => (await served(ctx, HOST)).fingerprint === fingerprint, 15_000, 200);
        const pods = await readyPods(ctx, 'app.kubernetes.io/component=controller', 1, 10_000, 'ingress-nginx');
        ctx.check(pods[0]!.metadata!.uid === before.metadata!.uid && (pods[0]!.status!.containerStatuses![0]!.restartCount ?? 0) === 0,
          `the new certificate is served after ${((Date.now() - t0) / 1000).toFixed(1)} s by the same controller pod, not restarted`);
      },
    },
  ],
  async cleanup(ctx) {
    const dir = ctx.facts.get('dir') as string | undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    await ctx.kc.makeApiClient(NetworkingV1Api).deleteNamespacedIngress({ name: 'myblog-tls', namespace: 'demo' }).catch(() => undefined);
    await ctx.core.deleteNamespace({ name: 'demo' }).catch(() => undefined);
  },
};

export default scenario;
