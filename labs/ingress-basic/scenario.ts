// Tutorial 003: the ingress-nginx controller is itself a NodePort Service; an Ingress routes the host
// hello.nginx.com to the ClusterIP Service nginx-svc, and `curl -H "host:hello.nginx.com"` shows nginx's
// welcome page. An unknown host gets the default backend's 404.
import { applyNarrated, ensureIngressNginx, kubectl, labFile, readyPods, untilRouted, waitFor, type IngressController, type LabContext, type Scenario } from '@svclab/lab';
import { NetworkingV1Api } from '@kubernetes/client-node';

const manifest = (f: string) => labFile(import.meta.url, f);
const controller = (ctx: LabContext) => ctx.facts.get('controller') as IngressController;
const HOST = 'hello.nginx.com';

const scenario: Scenario = {
  name: 'ingress-basic',
  title: 'Ingress: host hello.nginx.com through the ingress-nginx NodePort to a ClusterIP Service',
  tutorial: '003_6c4ab8ba5c6a5be3.txt (2.1, 2.2)',
  needs: ['curl', 'kubectl'],
  steps: [
    {
      title: 'The ingress-nginx controller runs as a Deployment behind the NodePort Service ingress-nginx-controller',
      async run(ctx) {
        const c = await ensureIngressNginx(ctx);
        ctx.facts.set('controller', c);
        const r = await kubectl(ctx, ['get', 'deployment,service', '-n', 'ingress-nginx']);
        ctx.check(r.exitCode === 0 && /deployment\.apps\/ingress-nginx-controller\s+1\/1/.test(r.stdout), 'deployment ingress-nginx-controller is 1/1 ready');
        ctx.check(/service\/ingress-nginx-controller\s+NodePort\s/.test(r.stdout) && c.httpNodePort >= 30000 && c.httpNodePort <= 32767,
          `service ingress-nginx-controller is a NodePort Service (http → ${c.httpNodePort}, https → ${c.httpsNodePort})`);
      },
    },
    {
      title: 'nginx pods behind the ClusterIP Service nginx-svc',
      async run(ctx) {
        await applyNarrated(ctx, manifest('nginx.yaml'));
        ctx.facts.set('pods', await readyPods(ctx, 'app=nginx', 2));
        const r = await kubectl(ctx, ['get', 'svc', 'nginx-svc']);
        ctx.check(/nginx-svc\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP/.test(r.stdout), 'nginx-svc is a ClusterIP Service on port 80');
      },
    },
    {
      title: 'Ingress example-ingress: host hello.nginx.com → nginx-svc:80',
      async run(ctx) {
        await applyNarrated(ctx, manifest('example-ingress.yaml'));
        const net = ctx.kc.makeApiClient(NetworkingV1Api);
        const node = controller(ctx).pod.spec!.nodeName!;
        const nodeIP = ctx.cluster.nodes.find((n) => n.name === node)!.ip;
        await waitFor('the controller to write the Ingress status', async () => {
          const ing = await net.readNamespacedIngress({ name: 'example-ingress', namespace: ctx.namespace });
          return ing.status?.loadBalancer?.ingress?.[0]?.ip;
        }, 20_000);
        const r = await kubectl(ctx, ['get', 'ingress']);
        ctx.check(new RegExp(`example-ingress\\s+nginx\\s+${HOST.replace(/\./g, '\\.')}\\s+${nodeIP.replace(/\./g, '\\.')}\\s+80\\s`).test(r.stdout),
          `kubectl get ingress: class nginx (the default IngressClass), host ${HOST}, address ${nodeIP} (the controller's node, ${node}), port 80`);
      },
    },
    {
      title: 'curl <node ip>:<nodePort> -H "host:hello.nginx.com" from outside the nodes → "Welcome to nginx!"',
      async run(ctx) {
        const port = controller(ctx).httpNodePort;
        for (const node of ctx.cluster.nodes) {
          const url = `http://${node.ip}:${port}/`;
          await untilRouted(ctx, url, HOST);
          ctx.narrate.command(`curl ${url} -H "host:${HOST}"    # from the client host`);
          const r = await ctx.cluster.onClientHost(`curl -s --max-time 3 -w '\\n%{http_code}' ${url} -H 'host:${HOST}'`);
          const lines = r.stdout.split('\n');
          const status = lines.pop();
          ctx.narrate.output(lines.filter((l) => /<title>|<h1>/.test(l)).join('\n'));
          ctx.check(status === '200' && lines.some((l) => l.includes('<h1>Welcome to nginx!</h1>')), `${node.name} (${node.ip}:${port}) answers with nginx's welcome page`, r.stdout.slice(0, 300));
        }
      },
    },
    {
      title: 'An unknown host gets the default backend: 404',
      async run(ctx) {
        const url = `http://${ctx.cluster.nodes[0]!.ip}:${controller(ctx).httpNodePort}/`;
        ctx.narrate.command(`curl -i ${url} -H "host:unknown.example.com"`);
        const r = await ctx.cluster.onClientHost(`curl -s -i --max-time 3 ${url} -H 'host:unknown.example.com'`);
        ctx.narrate.output(r.stdout.split('\n').slice(0, 1).join('\n'));
        ctx.check(/^HTTP\/1\.1 404 /.test(r.stdout) && r.stdout.includes('<center>nginx</center>'), 'a host no Ingress names is answered 404 by the default backend');
      },
    },
    {
      title: 'The controller wrote the Ingress into the nginx.conf inside its pod (tutorial 004: "写入 nginx.conf")',
      async run(ctx) {
        const r = await kubectl(ctx, ['-n', 'ingress-nginx', 'exec', 'deploy/ingress-nginx-controller', '--', 'grep', '-m', '1', '-E', 'server_name +"?hello\\.nginx\\.com', '/etc/nginx/nginx.conf']);
        ctx.check(r.exitCode === 0 && /^\s*server_name\s+"?hello\.nginx\.com"?\s*;/.test(r.stdout), '/etc/nginx/nginx.conf in the controller pod has a server block for hello.nginx.com', r.output);
      },
    },
  ],
  async cleanup(ctx) {
    const net = ctx.kc.makeApiClient(NetworkingV1Api);
    await net.deleteNamespacedIngress({ name: 'example-ingress', namespace: ctx.namespace }).catch(() => undefined);
    await ctx.core.deleteNamespacedService({ name: 'nginx-svc', namespace: ctx.namespace }).catch(() => undefined);
    await ctx.apps.deleteNamespacedDeployment({ name: 'nginx', namespace: ctx.namespace }).catch(() => undefined);
  },
};

export default scenario;
