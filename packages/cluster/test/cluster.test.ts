import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import { loadKubeConfig, resolveModule } from '@svclab/kube';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../../lab/src/drivers/embedded.js';
import { waitFor } from '../../lab/src/wait.js';
import { cleanupCluster } from '../src/cleanup.js';
import { clusterDir } from '../src/state.js';
import { hostNetworkSnapshot, namespacesOf, requireRoot } from './host.js';
import { kubectlBinary } from './kubectl.js';

const NAME = 'svct';
let core: CoreV1Api;
let kubeconfig: string;
let before: string;
// the files these tests hand to kubectl (manifests, a certificate), removed with the cluster
const scratch = mkdtempSync(join(tmpdir(), 'svclab-cluster-test-'));

async function endpointConditions(service: string) {
  const slices = await loadKubeConfig(kubeconfig).makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'default', labelSelector: `kubernetes.io/service-name=${service}` });
  return slices.items[0]?.endpoints?.[0]?.conditions;
}

async function runPod(name: string, image: string, command: string[]): Promise<V1Pod> {
  await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name }, spec: { restartPolicy: 'Never', containers: [{ name, image, command }] } } });
  return waitFor(`pod ${name} to finish`, async () => {
    const p = await core.readNamespacedPod({ name, namespace: 'default' });
    return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p;
  });
}

beforeAll(async () => {
  requireRoot();
  await cleanupCluster(NAME);
  before = await hostNetworkSnapshot();
  ({ kubeconfig } = await up(NAME));
  core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
});
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await cleanupCluster(NAME);
});

describe('embedded cluster', () => {
  it('has 3 Ready nodes named like kind\'s, each with its pod CIDR', async () => {
    const nodes = await waitFor('3 Ready nodes', async () => {
      const items = (await core.listNode()).items;
      return items.length === 3 && items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) && items;
    });
    expect(nodes.map((n) => [n.metadata!.name, n.spec!.podCIDR, n.status!.addresses![0]!.address])).toEqual([
      [`${NAME}-control-plane`, '10.244.0.0/24', '172.18.0.2'],
      [`${NAME}-worker`, '10.244.1.0/24', '172.18.0.3'],
      [`${NAME}-worker2`, '10.244.2.0/24', '172.18.0.4'],
    ]);
  });

  it('runs kube-proxy as a hostNetwork DaemonSet pod on every node, each programming the kubernetes Service', async () => {
    const pods = await waitFor('3 running kube-proxy pods', async () => {
      const items = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-proxy' })).items;
      return items.length === 3 && items.every((p) => p.status?.phase === 'Running') && items;
    });
    expect(pods.map((p) => p.spec!.nodeName).sort()).toEqual([`${NAME}-control-plane`, `${NAME}-worker`, `${NAME}-worker2`]);
    expect(pods.every((p) => p.spec!.hostNetwork && p.status!.podIP === p.status!.hostIP)).toBe(true);
    for (const node of pods.map((p) => p.spec!.nodeName!)) {
      const rules = await waitFor(`kube-proxy rules on ${node}`, async () => {
        const out = (await execa('nsenter', [`--net=/run/netns/${node}`, 'iptables-save', '-t', 'nat'])).stdout;
        return out.includes('KUBE-SVC-NPX46M4PTMTKRN6Y') && out;
      });
      expect(rules).toContain('-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y');
    }
  });

  for (const version of ['1.32', '1.29']) {
    it(`is listed by the real kubectl ${version} with upstream's columns (server-side Table)`, async () => {
      const get = async (...args: string[]) => (await execa(kubectlBinary(version), ['--kubeconfig', kubeconfig, 'get', ...args])).stdout;
      const pods = await get('pods', '-A', '-o', 'wide');
      expect(pods.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
      expect(pods.match(/^kube-system\s+kube-proxy-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+\s+172\.18\.0\.\d\s+svct-\S+/gm)).toHaveLength(3);
      expect(await get('svc', 'kubernetes')).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nkubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\S+$/);
      expect(await get('endpoints', 'kubernetes')).toMatch(/^NAME\s+ENDPOINTS\s+AGE\nkubernetes\s+172\.18\.0\.2:6443\s+\S+$/);
      expect(await get('nodes')).toMatch(/svct-control-plane\s+Ready\s+control-plane\s+\S+\s+v1\.32\.0-svclab/);
      expect(await get('ds', '-n', 'kube-system')).toMatch(/kube-proxy\s+3\s+3\s+3\s+3\s+3\s+kubernetes\.io\/os=linux/);
    });
  }

  for (const version of ['1.32', '1.29']) {
    it(`kubectl ${version}: takes the tutorials' manifests through kubectl apply / create -f / label / annotate / patch, with default validation`, async () => {
      const kubectl = (...args: string[]) => execa(kubectlBinary(version), ['--kubeconfig', kubeconfig, ...args], { reject: false });
      const manifest = new URL('../../../labs/clusterip/manifests/sample-clusterip.yaml', import.meta.url).pathname;
      expect((await kubectl('apply', '-f', manifest)).stdout).toBe('service/sample-clusterip created');
      expect((await kubectl('apply', '-f', manifest)).stdout).toBe('service/sample-clusterip unchanged');
      // a changed manifest goes as a strategic merge patch: ports merge by port, the old one is deleted
      const changed = join(mkdtempSync(join(scratch, 'apply-')), 'svc.yaml');
      writeFileSync(changed, readFileSync(manifest, 'utf8').replace('port: 8080', 'port: 8081'));
      expect((await kubectl('apply', '-f', changed)).stdout).toBe('service/sample-clusterip configured');
      expect((await kubectl('label', 'svc', 'sample-clusterip', 'tier=fe')).stdout).toBe('service/sample-clusterip labeled');
      expect((await kubectl('annotate', 'svc', 'sample-clusterip', 'note=hi')).stdout).toBe('service/sample-clusterip annotated');
      expect((await kubectl('patch', 'svc', 'sample-clusterip', '-p', '{"spec":{"ports":[{"port":8081,"targetPort":81}]}}')).stdout).toBe('service/sample-clusterip patched');
      const svc = await core.readNamespacedService({ name: 'sample-clusterip', namespace: 'default' });
      expect(svc.spec!.ports).toEqual([{ name: 'http-port', port: 8081, protocol: 'TCP', targetPort: 81 }]);
      expect([svc.metadata!.labels, svc.metadata!.annotations?.note]).toEqual([{ tier: 'fe' }, 'hi']);
      const again = await kubectl('create', '-f', manifest);
      expect(again.exitCode).toBe(1);
      expect(again.stderr).toContain('Error from server (AlreadyExists): error when creating');
      expect(again.stderr).toContain('services "sample-clusterip" already exists');
      expect((await kubectl('delete', '-f', manifest)).stdout).toBe('service "sample-clusterip" deleted');
    });
  }


  it('gives each pod its own UTS namespace: hostname is the pod name', async () => {
    const pod = await runPod('whoami', 'amsy810/tools:v2.0', ['hostname']);
    expect(pod.status!.phase).toBe('Succeeded');
    expect(String(await core.readNamespacedPodLog({ name: 'whoami', namespace: 'default' })).trim()).toBe('whoami');
    expect(pod.status!.podIP).toMatch(/^10\.244\.[12]\.\d+$/);
  });

  for (const version of ['1.32', '1.29']) {
    it(`kubectl ${version}: create namespace|deployment|configmap|secret tls|service|ingress (protobuf bodies from 1.32 on) and expose`, async () => {
      const kubectl = (...args: string[]) => execa(kubectlBinary(version), ['--kubeconfig', kubeconfig, ...args]);
      const dir = mkdtempSync(join(scratch, 'tls-'));
      await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=*.devops.cn']);
      expect((await kubectl('create', 'namespace', 'test')).stdout).toBe('namespace/test created');
      expect((await kubectl('create', 'deployment', 'nginx', '--image=amsy810/echo-nginx:v2.0', '--replicas=2', '-n', 'test')).stdout).toBe('deployment.apps/nginx created');
      expect((await kubectl('create', 'configmap', 'c1', '--from-literal=a=b', '-n', 'test')).stdout).toBe('configmap/c1 created');
      expect((await kubectl('create', 'secret', 'tls', 'tls-secret', `--cert=${join(dir, 'tls.crt')}`, `--key=${join(dir, 'tls.key')}`, '-n', 'test')).stdout).toBe('secret/tls-secret created');
      expect((await kubectl('create', 'service', 'nodeport', 'np', '--tcp=80:80', '--node-port=30111', '-n', 'test')).stdout).toBe('service/np created');
      expect((await kubectl('create', 'ingress', 'web', '--class=nginx', '--rule=hello.nginx.com/*=svc-nginx:80', '--rule=myblog.devops.cn/=blog:http,tls=tls-secret', '-n', 'test')).stdout).toBe('ingress.networking.k8s.io/web created');
      const ing = await loadKubeConfig(kubeconfig).makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: 'web', namespace: 'test' });
      expect(ing.spec!.rules!.map((r) => [r.host, r.http!.paths[0]!.path, r.http!.paths[0]!.pathType, r.http!.paths[0]!.backend.service!.port])).toEqual([
        ['hello.nginx.com', '/', 'Prefix', { number: 80 }], ['myblog.devops.cn', '/', 'Exact', { name: 'http' }]]);
      expect(ing.spec!.tls).toEqual([{ hosts: ['myblog.devops.cn'], secretName: 'tls-secret' }]);
      expect((await kubectl('expose', 'deployment', 'nginx', '--name=svc-nginx', '--type=ClusterIP', '--port=80', '--target-port=80', '-n', 'test')).stdout).toBe('service/svc-nginx exposed');
      expect((await kubectl('rollout', 'status', 'deployment/nginx', '-n', 'test', '--timeout=30s')).stdout).toContain('successfully rolled out');
      const secret = await core.readNamespacedSecret({ name: 'tls-secret', namespace: 'test' });
      expect(secret.type).toBe('kubernetes.io/tls');
      expect(Buffer.from(secret.data!['tls.crt']!, 'base64').toString()).toBe(readFileSync(join(dir, 'tls.crt'), 'utf8'));
      expect((await core.readNamespacedConfigMap({ name: 'c1', namespace: 'test' })).data).toEqual({ a: 'b' });
      expect((await core.readNamespacedService({ name: 'np', namespace: 'test' })).spec!.ports![0]!.nodePort).toBe(30111);
      expect((await kubectl('delete', 'namespace', 'test')).stdout).toBe('namespace "test" deleted');
    });
  }


  it('serves server-side apply: creates, records managed fields, reports conflicts, forces, drops fields no longer applied', async () => {
    const kubectl = (args: string[], input?: string) => execa(kubectlBinary('1.32'), ['--kubeconfig', kubeconfig, ...args], { input, reject: false });
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels:\n    team: a\ndata:\n${data}`;
    expect((await kubectl(['apply', '--server-side', '-f', '-'], cm('  a: "1"\n  b: "2"\n'))).stdout).toBe('configmap/ssa serverside-applied');
    const created = await core.readNamespacedConfigMap({ name: 'ssa', namespace: 'default' });
    expect(created.metadata!.managedFields?.find((m) => m.operation === 'Apply')?.manager).toBe('kubectl');
    // another manager changes a: applying a different value for a now conflicts
    await kubectl(['patch', 'configmap', 'ssa', '--type', 'merge', '-p', '{"data":{"a":"9"}}', '--field-manager', 'other']);
    const conflict = await kubectl(['apply', '--server-side', '-f', '-'], cm('  a: "1"\n'));
    expect(conflict.exitCode).toBe(1);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "other" using v1: .data.a');
    expect((await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], cm('  a: "1"\n'))).exitCode).toBe(0);
    // b was applied before and is not any more: it is removed; a is the applier's again
    expect((await core.readNamespacedConfigMap({ name: 'ssa', namespace: 'default' })).data).toEqual({ a: '1' });
    await core.deleteNamespacedConfigMap({ name: 'ssa', namespace: 'default' });
  });

  for (const version of ['1.32', '1.29']) {
    it(`kubectl ${version}: prints tutorial 001's NodePort errors through kubectl exactly`, async () => {
      const svc = (name: string, nodePort: number) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  type: NodePort\n  ports:\n  - name: "http-port"\n    protocol: "TCP"\n    port: 8080\n    targetPort: 80\n    nodePort: ${nodePort}\n  selector:\n    app: sample-app\n`;
      const apply = (yaml: string) => execa(kubectlBinary(version), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: yaml, reject: false });
      expect((await apply(svc('sample-nodeport', 30080))).stdout).toBe('service/sample-nodeport created');
      expect((await apply(svc('sample-nodeport-fail', 8888))).stderr).toBe('The Service "sample-nodeport-fail" is invalid: spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767');
      expect((await apply(svc('sample-nodeport-fail2', 30080))).stderr).toBe('The Service "sample-nodeport-fail2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
      await core.deleteNamespacedService({ name: 'sample-nodeport', namespace: 'default' });
    });
  }


  for (const version of ['1.32', '1.29']) {
    const v = version.replace('.', '');
    it(`kubectl ${version}: serves kubectl exec (WebSocket v5: stdout, stderr, stdin, exit codes) and kubectl run --rm -i (attach)`, async () => {
      // kubectl 1.29 speaks SPDY unless its (alpha) WebSocket client is switched on; 1.30+ uses WebSocket
      const env = version === '1.29' ? { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' } : {};
      const kubectl = (args: string[], input?: string) => execa(kubectlBinary(version), ['--kubeconfig', kubeconfig, ...args], { reject: false, input, env });
      const run = await kubectl(['run', `attached-${v}`, '--image=amsy810/tools:v2.0', '--restart=Never', '--rm', '-i', '--command', '--',
        'sh', '-c', 'sleep 0.5; read line; echo "got: $line"; hostname; echo oops >&2; exit 4'], 'typed\n');
      expect(run.stdout.split('\n').slice(0, 2)).toEqual(['got: typed', `attached-${v}`]);
      expect(run.stdout).toContain(`pod "attached-${v}" deleted`);
      expect(run.stderr).toContain('oops');
      expect(run.stderr).toContain(`pod default/attached-${v} terminated (Error)`);
      expect(run.exitCode).toBe(4);

      await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: `shell-${v}` }, spec: { containers: [{ name: `shell-${v}`, image: 'amsy810/tools:v2.0' }] } } });
      await waitFor('pod shell running', async () => (await core.readNamespacedPod({ name: `shell-${v}`, namespace: 'default' })).status?.phase === 'Running');
      const ok = await kubectl(['exec', `shell-${v}`, '--', 'sh', '-c', 'hostname; echo to-stderr >&2']);
      expect([ok.stdout, ok.stderr, ok.exitCode]).toEqual([`shell-${v}`, 'to-stderr', 0]);
      const failed = await kubectl(['exec', `shell-${v}`, '--', 'sh', '-c', 'exit 3']);
      expect([failed.stderr, failed.exitCode]).toEqual(['command terminated with exit code 3', 3]);
      expect((await kubectl(['exec', '-i', `shell-${v}`, '--', 'cat'], 'through stdin')).stdout).toBe('through stdin');
      const missing = await kubectl(['exec', `shell-${v}`, '--', 'nosuch']);
      expect(missing.stderr).toContain('exec: "nosuch": executable file not found in $PATH');
      expect(missing.exitCode).toBe(1);
      if (version === '1.29') {
        const spdy = await execa(kubectlBinary(version), ['--kubeconfig', kubeconfig, 'exec', `shell-${v}`, '--', 'hostname'], { reject: false });
        expect(spdy.stderr).toContain('exec, attach and port-forward are served over WebSocket');
      }
      await core.deleteNamespacedPod({ name: `shell-${v}`, namespace: 'default' });
    });
  }


  for (const version of ['1.32', '1.29']) {
    it(`kubectl ${version}: describe, replace, edit, get -w, wait, logs, output formats, api-resources, version, cluster-info`, async () => {
      const run = (args: string[], opts: { input?: string; env?: Record<string, string>; timeout?: number } = {}) =>
        execa(kubectlBinary(version), ['--kubeconfig', kubeconfig, ...args], { reject: false, input: opts.input, env: opts.env, timeout: opts.timeout });
      const out = async (...args: string[]) => { const r = await run(args); expect(r.stderr, args.join(' ')).toBe(''); return r.stdout; };
      const v = version.replace('.', '');
      await out('create', 'deployment', `web${v}`, '--image=amsy810/echo-nginx:v2.0', '--replicas=2');
      await out('expose', 'deployment', `web${v}`, '--port=80');
      expect(await out('wait', '--for=condition=Ready', 'pod', '-l', `app=web${v}`, '--timeout=30s')).toMatch(/condition met\n.*condition met/);
      const names = (await out('get', 'pods', '-l', `app=web${v}`, '-o', 'custom-columns=NAME:.metadata.name,IP:.status.podIP', '--no-headers')).split('\n');
      expect(names).toHaveLength(2);
      expect(await out('get', 'pods', '-l', `app=web${v}`, '--show-labels')).toContain(`app=web${v},pod-template-hash=`);
      expect(await out('describe', 'service', `web${v}`)).toMatch(new RegExp(`Selector:\\s+app=web${v}[\\s\\S]*Endpoints:\\s+10\\.244\\.\\d+\\.\\d+:80,10\\.244`));
      expect(await out('describe', 'endpoints', `web${v}`)).toMatch(/Addresses:\s+10\.244\.\d+\.\d+,10\.244/);
      expect(await out('describe', 'node', `${NAME}-worker`)).toMatch(/Lease:\s+HolderIdentity:\s+svct-worker/);
      const edited = await run(['edit', 'service', `web${v}`], { env: { EDITOR: 'sed -i s/port:\\ 80$/port:\\ 8080/' } });
      expect(edited.stdout).toBe(`service/web${v} edited`);
      const yaml = (await out('get', 'service', `web${v}`, '-o', 'yaml')).replace('port: 8080', 'port: 8081');
      expect((await run(['replace', '-f', '-'], { input: yaml })).stdout).toBe(`service/web${v} replaced`);
      expect((await run(['patch', 'service', `web${v}`, '--type', 'json', '-p', '[{"op":"replace","path":"/spec/ports/0/port","value":8082}]'])).stdout).toBe(`service/web${v} patched`);
      expect(await out('get', 'service', `web${v}`, '-o', 'jsonpath={.spec.ports[0].port}')).toBe('8082');
      expect(await out('create', 'secret', 'generic', `pw${v}`, '--from-literal=password=s3cret')).toBe(`secret/pw${v} created`);
      expect(await out('get', 'secret', `pw${v}`, '-o', 'jsonpath={.data.password}')).toBe(Buffer.from('s3cret').toString('base64'));
      // get -w prints the current rows, then the change
      const watching = run(['get', 'deployment', `web${v}`, '-w', '--no-headers'], { timeout: 4000 });
      await new Promise((r) => setTimeout(r, 800));
      await out('scale', 'deployment', `web${v}`, '--replicas=3');
      const watched = (await watching).stdout.split('\n').filter(Boolean);
      expect(watched[0]).toMatch(new RegExp(`^web${v}\\s+2/2`));
      expect(watched.length).toBeGreaterThan(1);
      expect(await out('logs', names[0]!.split(/\s+/)[0]!)).toBe('');
      expect(await out('api-resources')).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
      // (kubectl 1.29 also warns on stderr about the skew to a 1.32 server, as it would on any cluster)
      expect((await run(['version'])).stdout).toContain('Server Version: v1.32.0-svclab');
      expect((await out('cluster-info')).replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Kubernetes control plane is running at https:\/\/127\.0\.0\.1:\d+/);
      for (const kind of ['deployment', 'service', 'secret']) await run(['delete', kind, kind === 'secret' ? `pw${v}` : `web${v}`]);
    });
  }

  it('kubectl logs --tail / --timestamps / --since-time / --limit-bytes, and get --sort-by', async () => {
    const kubectl = async (...args: string[]) => (await execa(kubectlBinary('1.32'), ['--kubeconfig', kubeconfig, ...args])).stdout;
    await runPod('lines', 'amsy810/tools:v2.0', ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.05; done']);
    expect(await kubectl('logs', 'lines')).toBe('line1\nline2\nline3\nline4\nline5');
    expect(await kubectl('logs', 'lines', '--tail=2')).toBe('line4\nline5');
    expect(await kubectl('logs', 'lines', '--tail=0')).toBe('');
    expect(await kubectl('logs', 'lines', '--limit-bytes=8')).toBe('line1\nli');
    const stamped = (await kubectl('logs', 'lines', '--timestamps')).split('\n');
    expect(stamped).toHaveLength(5);
    for (const [i, l] of stamped.entries()) expect(l).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z line${i + 1}$`));
    // kubectl sends --since-time at a second's precision: lines before that second are left out
    const later = new Date(Date.parse(stamped[0]!.split(' ')[0]!) + 2000).toISOString();
    expect(await kubectl('logs', 'lines', `--since-time=${later}`)).toBe('');
    expect(await kubectl('logs', 'lines', '--since=1h', '--tail=1')).toBe('line5');
    // --sort-by reads each row's object by its kind
    await runPod('aaa-first', 'amsy810/tools:v2.0', ['true']);
    const sorted = (await kubectl('get', 'pods', '--sort-by=.metadata.name', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name')).split('\n');
    expect(sorted).toEqual([...sorted].sort());
    expect(sorted).toContain('aaa-first');
    expect((await kubectl('get', 'pods', '--sort-by=.metadata.name')).split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    for (const name of ['lines', 'aaa-first']) await core.deleteNamespacedPod({ name, namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('records Events as upstream components do, shown by kubectl describe', async () => {
    const kubectl = (...args: string[]) => execa(kubectlBinary('1.32'), ['--kubeconfig', kubeconfig, ...args]);
    await kubectl('create', 'deployment', 'evts', '--image=amsy810/echo-nginx:v2.0', '--replicas=1', '--dry-run=client', '-o', 'yaml').then((r) => execa(kubectlBinary('1.32'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: r.stdout }));
    const pod = await waitFor('the evts pod running', async () => (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=evts' })).items.find((p) => p.status?.phase === 'Running'));
    const deploy = await waitFor('the ScalingReplicaSet event', async () => { const out = (await kubectl('describe', 'deployment', 'evts')).stdout; return out.includes('ScalingReplicaSet') && out; });
    expect(deploy).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set evts-[a-z0-9]+ from 0 to 1/);
    const described = await waitFor('the pod events', async () => { const out = (await kubectl('describe', 'pod', pod.metadata!.name!)).stdout; return out.includes('Started') && out; });
    const reasons = [...described.matchAll(/^\s+Normal\s+(\w+)\s+\S+\s+(\S+)\s+(.*)$/gm)].map((m) => `${m[1]} ${m[2]}: ${m[3]}`);
    expect(reasons).toEqual([
      `Scheduled default-scheduler: Successfully assigned default/${pod.metadata!.name} to ${pod.spec!.nodeName}`,
      'Pulled kubelet: Container image "amsy810/echo-nginx:v2.0" already present on machine',
      'Created kubelet: Created container: echo-nginx',
      'Started kubelet: Started container echo-nginx',
    ]);
    // kubectl scale goes through the /scale subresource (autoscaling/v1 Scale, merge patch)
    expect((await kubectl('scale', 'deployment', 'evts', '--replicas=2')).stdout).toBe('deployment.apps/evts scaled');
    await waitFor('2 evts pods', async () => (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=evts' })).items.length === 2);
    expect((await kubectl('get', 'deployment', 'evts', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('2');
    // a rolling update to a new template, then a rollback that reuses the first ReplicaSet
    const rsNames = async () => (await kubectl('get', 'rs', '-l', 'app=evts', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas}@{.metadata.annotations.deployment\\.kubernetes\\.io/revision} {end}')).stdout.trim().split(' ').sort();
    const [first] = await rsNames();
    expect((await kubectl('set', 'image', 'deployment/evts', 'echo-nginx=amsy810/echo-nginx:v2.1')).stdout).toBe('deployment.apps/evts image updated');
    expect((await kubectl('rollout', 'status', 'deployment/evts', '--timeout=30s')).stdout).toContain('deployment "evts" successfully rolled out');
    expect((await kubectl('rollout', 'undo', 'deployment/evts')).stdout).toBe('deployment.apps/evts rolled back');
    await kubectl('rollout', 'status', 'deployment/evts', '--timeout=30s');
    const after = await waitFor('the first ReplicaSet back at 2 replicas', async () => { const n = await rsNames(); return n.includes(first!.replace('=2@1', '=2@3')) && n; });
    expect(after.filter((n) => n.includes('=0@2'))).toHaveLength(1);
    // scaling down (tutorial 004's 缩容): the active ReplicaSet shrinks, one pod goes
    expect((await kubectl('scale', 'deployment', 'evts', '--replicas=1')).stdout).toBe('deployment.apps/evts scaled');
    await waitFor('1 evts pod left', async () => (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=evts' })).items.filter((p) => !p.metadata!.deletionTimestamp).length === 1);
    expect(await rsNames()).toContain(first!.replace('=2@1', '=1@3'));
    // (the rollout scaled this ReplicaSet from 2 to 1 before: the event is counted, its age reads "0s (x2 over 9s)")
    const scaledDown = new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+(?: \\(x\\d+ over \\S+\\))?\\s+deployment-controller\\s+Scaled down replica set ${first!.split('=')[0]} from 2 to 1`);
    await waitFor('the scale-down event', async () => scaledDown.test((await kubectl('describe', 'deployment', 'evts')).stdout));
    await waitFor('the Deployment status at 1 replica', async () => (await kubectl('get', 'deployment', 'evts', '-o', 'jsonpath={.status.replicas} {.status.availableReplicas}')).stdout === '1 1');
    await kubectl('delete', 'deployment', 'evts');
  });

  it('deletes pods gracefully: Terminating, the endpoint turns terminating, the container gets SIGTERM, then the pod is gone', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: {
      metadata: { name: 'graceful', labels: { app: 'graceful' } },
      spec: { terminationGracePeriodSeconds: 10, containers: [{ name: 'c', image: 'amsy810/tools:v2.0',
        command: ['sh', '-c', 'trap "echo got SIGTERM; sleep 2; exit 0" TERM; while true; do sleep 0.1; done'] }] },
    } });
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'graceful' }, spec: { selector: { app: 'graceful' }, ports: [{ port: 80 }] } } });
    await waitFor('a ready endpoint', async () => (await endpointConditions('graceful'))?.ready === true);
    const deleted = await core.deleteNamespacedPod({ name: 'graceful', namespace: 'default' });
    expect(deleted.metadata!.deletionTimestamp).toBeTruthy();
    expect(deleted.metadata!.deletionGracePeriodSeconds).toBe(10);
    expect(await waitFor('the endpoint to turn terminating', async () => { const c = await endpointConditions('graceful'); return c?.terminating && c; }, 2_000))
      .toEqual({ ready: false, serving: true, terminating: true });
    const status = (await execa(kubectlBinary('1.32'), ['--kubeconfig', kubeconfig, 'get', 'pod', 'graceful', '--no-headers'])).stdout;
    expect(status).toMatch(/^graceful\s+1\/1\s+Terminating\s/);
    // the container's SIGTERM handler takes 2 s, well inside the 10 s; then the kubelet removes the pod
    await waitFor('the pod to be gone', async () => !(await core.readNamespacedPod({ name: 'graceful', namespace: 'default' }).catch(() => undefined)), 8_000);
    await core.deleteNamespacedService({ name: 'graceful', namespace: 'default' });
  });

  it('mirrors hand-written Endpoints of a selector-less Service into EndpointSlices, which kube-proxy routes to', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'backend' }, spec: { containers: [{ name: 'c', image: 'amsy810/echo-nginx:v2.0' }] } } });
    const backend = await waitFor('backend running', async () => { const p = await core.readNamespacedPod({ name: 'backend', namespace: 'default' }); return !!p.status?.podIP && p.status.phase === 'Running' && p; });
    const svc = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'manual' }, spec: { ports: [{ port: 8080, targetPort: 80 }] } } });
    await core.createNamespacedEndpoints({ namespace: 'default', body: { metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: backend.status!.podIP! }], ports: [{ port: 80 }] }] } });
    const slice = await waitFor('the mirrored slice', async () => {
      const items = (await loadKubeConfig(kubeconfig).makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=manual' })).items;
      return items[0];
    });
    expect(slice.metadata!.labels!['endpointslice.kubernetes.io/managed-by']).toBe('endpointslicemirroring-controller.k8s.io');
    expect(slice.endpoints.map((e) => e.addresses[0])).toEqual([backend.status!.podIP]);
    const url = `http://${svc.spec!.clusterIP}:8080/`;
    const pod = await runPod('manual-client', 'amsy810/tools:v2.0', ['sh', '-c', `for i in $(seq 50); do curl -s --max-time 1 ${url} && exit 0; sleep 0.2; done; exit 1`]);
    expect(pod.status!.phase).toBe('Succeeded');
    expect(String(await core.readNamespacedPodLog({ name: 'manual-client', namespace: 'default' }))).toContain('From=backend ');
    await core.deleteNamespacedService({ name: 'manual', namespace: 'default' });
    await core.deleteNamespacedPod({ name: 'backend', namespace: 'default', body: { gracePeriodSeconds: 0 } });
  });

  it('gives containers the Service variables of their namespace (enableServiceLinks) and the kubernetes Service\'s, as kubelet', async () => {
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'sample-clusterip' }, spec: { selector: { app: 'nothing' }, ports: [{ name: 'http-port', port: 8080, targetPort: 80 }] } } });
    const ip = (await core.readNamespacedService({ name: 'sample-clusterip', namespace: 'default' })).spec!.clusterIP!;
    const envOf = async (name: string, links: boolean) => {
      await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name }, spec: { restartPolicy: 'Never', enableServiceLinks: links, containers: [{ name, image: 'amsy810/tools:v2.0', command: ['env'] }] } } });
      await waitFor(`pod ${name} to finish`, async () => (await core.readNamespacedPod({ name, namespace: 'default' })).status?.phase === 'Succeeded');
      const lines = String(await core.readNamespacedPodLog({ name, namespace: 'default' })).split('\n');
      return Object.fromEntries(lines.filter((l) => /^(SAMPLE_CLUSTERIP|KUBERNETES)_/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    };
    const kubernetes = {
      KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443', KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP_PROTO: 'tcp', KUBERNETES_PORT_443_TCP_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    };
    expect(await envOf('envs', true)).toEqual({
      ...kubernetes,
      SAMPLE_CLUSTERIP_SERVICE_HOST: ip, SAMPLE_CLUSTERIP_SERVICE_PORT: '8080', SAMPLE_CLUSTERIP_SERVICE_PORT_HTTP_PORT: '8080',
      SAMPLE_CLUSTERIP_PORT: `tcp://${ip}:8080`, SAMPLE_CLUSTERIP_PORT_8080_TCP: `tcp://${ip}:8080`,
      SAMPLE_CLUSTERIP_PORT_8080_TCP_PROTO: 'tcp', SAMPLE_CLUSTERIP_PORT_8080_TCP_PORT: '8080', SAMPLE_CLUSTERIP_PORT_8080_TCP_ADDR: ip,
    });
    expect(await envOf('envs-off', false)).toEqual(kubernetes);
    for (const name of ['envs', 'envs-off']) await core.deleteNamespacedPod({ name, namespace: 'default', gracePeriodSeconds: 0 });
    await core.deleteNamespacedService({ name: 'sample-clusterip', namespace: 'default' });
  });

  it('resolves Service names through the cluster DNS (CoreDNS pods behind kube-dns at 10.96.0.10), as tutorial 001 curls http://sample-clusterip:8080', async () => {
    await waitFor('the kube-dns endpoints ready', async () => {
      const slices = await loadKubeConfig(kubeconfig).makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'kube-system', labelSelector: 'kubernetes.io/service-name=kube-dns' });
      return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length === 2;
    }, 20_000).catch(async (e) => {
      const pods = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' })).items;
      const evs = (await core.listNamespacedEvent({ namespace: 'kube-system' })).items.filter((x) => x.involvedObject.name?.startsWith('coredns')).map((x) => `${x.involvedObject.name} ${x.reason} ${x.message} x${x.count}`);
      throw new Error(`${(e as Error).message}: ${JSON.stringify(pods.map((p) => [p.metadata!.name, p.spec?.nodeName, p.status?.podIP]))} ${evs.join(' | ')}`);
    });
    // (the endpoints are ready; each node's kube-proxy programs them within its minSyncPeriod, so the pod waits for a first answer)
    const pod = await runPod('dns', 'amsy810/tools:v2.0', ['sh', '-c', 'for i in $(seq 50); do getent hosts kubernetes >/dev/null && break; sleep 0.2; done; cat /etc/resolv.conf; getent hosts kubernetes; curl -sk --max-time 3 https://kubernetes.default/healthz; echo; dig +noall +answer kubernetes.default.svc.cluster.local']);
    const log = String(await core.readNamespacedPodLog({ name: 'dns', namespace: 'default' })).trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
    expect([pod.status!.phase, ...log]).toEqual([
      'Succeeded',
      'search default.svc.cluster.local svc.cluster.local cluster.local', 'nameserver 10.96.0.10', 'options ndots:5',
      '10.96.0.1 kubernetes.default.svc.cluster.local',
      'ok',
      'kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1',
    ]);
    // tutorial 004's view of it: the kube-dns Service with its three ports, and CoreDNS's metrics
    const svc = await execa(kubectlBinary('1.32'), ['--kubeconfig', kubeconfig, 'get', 'svc', '-n', 'kube-system', 'kube-dns', '--no-headers']);
    expect(svc.stdout).toMatch(/^kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP\s+\S+$/);
    const metrics = await execa('nsenter', [`--net=/run/netns/${NAME}-worker`, 'curl', '-s', '--max-time', '3', 'http://10.96.0.10:9153/metrics']);
    expect(metrics.stdout).toMatch(/^coredns_dns_requests_total\{server="dns:\/\/:53",zone=".",view="",proto="udp",family="1",type="A"\} \d+$/m);
    await core.deleteNamespacedPod({ name: 'dns', namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('gives pods a service-account token, so client-node\'s loadFromCluster() works from inside (via 10.96.0.1)', async () => {
    const clientNode = resolveModule('@kubernetes/client-node', import.meta.url);
    const program = `const k = await import(${JSON.stringify(pathToFileURL(clientNode).href)}); const kc = new k.KubeConfig(); kc.loadFromCluster();` +
      `const pods = await kc.makeApiClient(k.CoreV1Api).listNamespacedPod({ namespace: 'kube-system' }); console.log(kc.getCurrentCluster().server, pods.items.length);`;
    const pod = await runPod('in-cluster', 'amsy810/tools:v2.0', ['node', '--input-type=module', '-e', program]);
    const log = String(await core.readNamespacedPodLog({ name: 'in-cluster', namespace: 'default' })).trim();
    // kube-system: three kube-proxy pods and two coredns
    expect([pod.status!.phase, log]).toEqual(['Succeeded', 'https://10.96.0.1:443 5']);
  });

  it('routes as kind does: a node reaches a ClusterIP, and a pod reaches the client host outside the cluster, masqueraded to its node', async () => {
    // tutorial 004 / 000 curl a ClusterIP from a node: the node needs a route (its default) before kube-proxy's DNAT
    const fromNode = await execa('nsenter', [`--net=/run/netns/${NAME}-worker`, 'curl', '-sk', '--max-time', '3', 'https://10.96.0.1/healthz'], { reject: false });
    expect(fromNode.stdout).toBe('ok');
    // a server on the client host (172.18.0.1) that answers with the peer address it sees
    const server = execa('nsenter', [`--net=/run/netns/${NAME}-client`, process.execPath, '-e',
      "require('http').createServer((q, r) => r.end(q.socket.remoteAddress)).listen(18099, '172.18.0.1', () => console.log('up'))"], { reject: false, cleanup: true });
    try {
      await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      const pod = await runPod('egress', 'amsy810/tools:v2.0', ['curl', '-s', '--max-time', '3', 'http://172.18.0.1:18099/']);
      const seen = String(await core.readNamespacedPodLog({ name: 'egress', namespace: 'default' })).trim();
      expect(pod.status!.phase).toBe('Succeeded');
      expect(seen).toBe(pod.status!.hostIP);
    } finally {
      server.kill();
      await core.deleteNamespacedPod({ name: 'egress', namespace: 'default', gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  it('runs probes as kubelet: an endpoint is ready only while its readiness probe passes; a failing liveness probe restarts the container', async () => {
    const kubectl = (...args: string[]) => execa(kubectlBinary('1.32'), ['--kubeconfig', kubeconfig, ...args]);
    const eventsOf = async (pod: string) => (await core.listNamespacedEvent({ namespace: 'default' })).items.filter((e) => e.involvedObject.name === pod);
    const readyOf = async (pod: string) => (await core.readNamespacedPod({ name: pod, namespace: 'default' })).status?.conditions?.find((c) => c.type === 'Ready')?.status;
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'probed' }, spec: { selector: { app: 'probed' }, ports: [{ port: 80 }] } } });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'probed', labels: { app: 'probed' } }, spec: { containers: [{ name: 'web', image: 'nginx',
      readinessProbe: { httpGet: { path: '/ready.html', port: 80 as never }, periodSeconds: 1, failureThreshold: 1 } }] } } });
    // the apiserver's defaults (describe: http-get http://:80/ready.html delay=0s timeout=1s period=1s #success=1 #failure=1)
    expect((await core.readNamespacedPod({ name: 'probed', namespace: 'default' })).spec!.containers[0]!.readinessProbe)
      .toEqual({ httpGet: { path: '/ready.html', port: 80, scheme: 'HTTP' }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 1, successThreshold: 1 });
    const unhealthy = await waitFor('the Unhealthy event', async () => (await eventsOf('probed')).find((e) => e.reason === 'Unhealthy'), 15_000);
    expect([unhealthy.type, unhealthy.message]).toEqual(['Warning', 'Readiness probe failed: HTTP probe failed with statuscode: 404']);
    expect(await readyOf('probed')).toBe('False');
    expect((await endpointConditions('probed'))?.ready).toBe(false);
    await kubectl('exec', 'probed', '--', 'sh', '-c', 'echo ok > /usr/share/nginx/html/ready.html');
    await waitFor('probed Ready', async () => (await readyOf('probed')) === 'True' && (await endpointConditions('probed'))?.ready === true, 10_000);
    await kubectl('exec', 'probed', '--', 'rm', '/usr/share/nginx/html/ready.html');
    await waitFor('probed not Ready again', async () => (await readyOf('probed')) === 'False' && (await endpointConditions('probed'))?.ready === false, 10_000);

    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'alive' }, spec: { containers: [{ name: 'c', image: 'amsy810/tools:v2.0', command: ['sleep', '3600'],
      livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 } }] } } });
    const restarted = await waitFor('a liveness restart', async () => { const p = await core.readNamespacedPod({ name: 'alive', namespace: 'default' }); return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p; }, 20_000);
    expect(restarted.status!.containerStatuses![0]!.lastState?.terminated).toBeDefined();
    const events = await eventsOf('alive');
    // (the command's output; our exec runs the resolved path, so cat names itself /usr/bin/cat)
    expect(events.find((e) => e.reason === 'Unhealthy')?.message).toMatch(/^Liveness probe failed: (\/usr\/bin\/)?cat: \/tmp\/healthy: No such file or directory$/);
    expect(events.find((e) => e.reason === 'Killing')?.message).toBe('Container c failed liveness probe, will be restarted');
    for (const name of ['probed', 'alive']) await core.deleteNamespacedPod({ name, namespace: 'default', gracePeriodSeconds: 0 });
    await core.deleteNamespacedService({ name: 'probed', namespace: 'default' });
  });

  it('puts a pod with an image outside the catalogue in ErrImagePull naming the catalogue, then ImagePullBackOff, each event once', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'nope' }, spec: { containers: [{ name: 'c', image: 'example.com/nope:1.0' }] } } });
    const waitingNow = async () => (await core.readNamespacedPod({ name: 'nope', namespace: 'default' })).status?.containerStatuses?.[0]?.state?.waiting;
    const waiting = await waitFor('ErrImagePull', waitingNow);
    expect(waiting.reason).toBe('ErrImagePull');
    expect(waiting.message).toContain('"example.com/nope" is not in its image catalogue (nginx, amsy810/echo-nginx, amsy810/tools');
    // (2 s after the failed pull; the wait allows for a loaded machine: the events below must still be one of each)
    const backOff = await waitFor('ImagePullBackOff', async () => { const w = await waitingNow(); return w?.reason === 'ImagePullBackOff' && w; }, 25_000);
    expect(backOff.message).toBe('Back-off pulling image "example.com/nope:1.0"');
    // the next pull is 10 s after the first: until then nothing more is recorded (it was a busy loop of events)
    await new Promise((r) => setTimeout(r, 1500));
    const events = (await core.listNamespacedEvent({ namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'nope');
    expect(events.map((e) => `${e.type} ${e.reason} ${e.source?.component}: ${e.message!.replace(/": svclab .*/, '": …')} x${e.count}`)).toEqual([
      `Normal Scheduled default-scheduler: Successfully assigned default/nope to ${events[0]!.message!.split(' to ')[1]} x1`,
      'Normal Pulling kubelet: Pulling image "example.com/nope:1.0" x1',
      'Warning Failed kubelet: Failed to pull image "example.com/nope:1.0": … x1',
      'Warning Failed kubelet: Error: ErrImagePull x1',
      'Normal BackOff kubelet: Back-off pulling image "example.com/nope:1.0" x1',
      'Warning Failed kubelet: Error: ImagePullBackOff x1',
    ]);
    await core.deleteNamespacedPod({ name: 'nope', namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('kube-proxy serves upstream\'s metrics on 127.0.0.1:10249 and resyncs when someone flushes the tables (canary)', async () => {
    const node = `${NAME}-worker`;
    const inNode = (...cmd: string[]) => execa('nsenter', [`--net=/run/netns/${node}`, ...cmd]);
    const metrics = (await inNode('curl', '-s', 'http://127.0.0.1:10249/metrics')).stdout;
    const lastSync = (m: string) => Number(m.match(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds (\S+)/m)?.[1]);
    expect(Number(metrics.match(/^kubeproxy_sync_proxy_rules_duration_seconds_count (\d+)/m)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^kubeproxy_network_programming_duration_seconds_bucket\{le="\+Inf"\} \d+/m);
    expect(metrics).toMatch(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds \d+/m);
    const canaryResyncs = (m: string) => Number(m.match(/^kubeproxy_sync_full_proxy_rules_canary_resyncs_total (\d+)/m)?.[1]);
    // flush everything kube-proxy wrote, the canary included, and look at once (one shell: kube-proxy may sync any moment)
    const flushed = await inNode('sh', '-c', 'for t in nat filter mangle; do iptables -t $t -F && iptables -t $t -X || exit 1; done; iptables-save -t nat');
    expect(flushed.stdout).not.toContain('KUBE-SVC-NPX46M4PTMTKRN6Y');
    await waitFor('kube-proxy to restore its rules', async () => (await inNode('iptables-save', '-t', 'nat')).stdout.includes('-j KUBE-SVC-NPX46M4PTMTKRN6Y'), 15_000);
    const after = await waitFor('the canary resync counted', async () => { const m = (await inNode('curl', '-s', 'http://127.0.0.1:10249/metrics')).stdout; return canaryResyncs(m) > canaryResyncs(metrics) && m; }, 15_000);
    expect(lastSync(after)).toBeGreaterThan(lastSync(metrics));
  });

  it('externalTrafficPolicy: Local keeps the client address, serves only where a pod runs, and says so on the health check port', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'local-echo', labels: { app: 'local-echo' } },
      spec: { nodeSelector: { 'kubernetes.io/hostname': `${NAME}-worker` }, containers: [{ name: 'c', image: 'amsy810/echo-nginx:v2.0' }] } } });
    const svc = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'local-np' },
      // a LoadBalancer (upstream allocates a health-check port only for those); its NodePort path is the same
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'local-echo' }, ports: [{ port: 80, nodePort: 30222 }] } } });
    expect(svc.spec!.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    const client = (cmd: string) => execa('nsenter', [`--net=/run/netns/${NAME}-client`, 'sh', '-c', cmd], { reject: false });
    const answer = await waitFor('the local node to answer', async () => { const r = await client('curl -s --max-time 1 http://172.18.0.3:30222/'); return r.stdout.startsWith('Host=') && r.stdout; }, 20_000);
    expect(answer).toMatch(/From=local-echo ClientIP=172\.18\.0\.1 /); // not masqueraded: the client's own address
    // the other node's kube-proxy may sync a moment later; once it has, the request is dropped (a timeout, not a refusal)
    await waitFor('worker2 to program the Service', async () => (await execa('nsenter', [`--net=/run/netns/${NAME}-worker2`, 'iptables-save', '-t', 'filter'])).stdout.includes('default/local-np has no local endpoints'), 15_000);
    expect((await client('curl -s --max-time 2 http://172.18.0.4:30222/; echo "exit=$?"')).stdout).toContain('exit=28');
    const health = async (ip: string) => (await client(`curl -s -w ' %{http_code}' http://${ip}:${svc.spec!.healthCheckNodePort}/`)).stdout;
    expect(await health('172.18.0.3')).toBe('{"service":{"namespace":"default","name":"local-np"},"localEndpoints":1,"serviceProxyHealthy":true} 200');
    expect(await health('172.18.0.4')).toMatch(/"localEndpoints":0.* 503$/);
    await core.deleteNamespacedService({ name: 'local-np', namespace: 'default' });
    await core.deleteNamespacedPod({ name: 'local-echo', namespace: 'default', body: { gracePeriodSeconds: 0 } });
  });

  it('has a client host outside the nodes that reaches every node IP (kube-proxy healthz on :10256)', async () => {
    for (const ip of ['172.18.0.2', '172.18.0.3', '172.18.0.4']) {
      const r = await execa('nsenter', [`--net=/run/netns/${NAME}-client`, 'curl', '-s', '--max-time', '3', `http://${ip}:10256/healthz`]);
      expect(JSON.parse(r.stdout)).toHaveProperty('lastUpdated');
    }
  });

  it('adds nothing to the host\'s own network namespace while it runs', async () => {
    expect(await hostNetworkSnapshot()).toBe(before);
  });

  it('lab down leaves no namespace, process, rule or state behind', async () => {
    const namespaces = await namespacesOf(NAME);
    expect(namespaces.length).toBeGreaterThanOrEqual(5); // bridge, client host, 3 nodes
    const pids = (await Promise.all(namespaces.map(async (n) => (await execa('ip', ['netns', 'pids', n])).stdout.split('\n').filter(Boolean)))).flat().map(Number);
    expect(pids.length).toBeGreaterThan(3);
    await execa('pnpm', ['--silent', 'lab', 'down', '--name', NAME], { cwd: new URL('../../..', import.meta.url).pathname });
    expect(await namespacesOf(NAME)).toEqual([]);
    expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    expect(existsSync(clusterDir(NAME))).toBe(false);
    expect(await hostNetworkSnapshot()).toBe(before);
  });
});
