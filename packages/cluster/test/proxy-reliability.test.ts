// kube-proxy under trouble, on an embedded cluster: killed with SIGKILL during a request loop, the
// apiserver restarting, 200 endpoint changes during a request loop, and a Service carrying values
// an IPv4 proxy can't use. Requests go from the client host (outside the nodes) to a NodePort.
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { loadKubeConfig } from '@svclab/kube';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../../lab/src/drivers/embedded.js';
import { waitFor } from '../../lab/src/wait.js';
import { cleanupCluster } from '../src/cleanup.js';
import { readState } from '../src/state.js';
import { requireRoot } from './host.js';

const NAME = 'svcrel';
const WORKER = `${NAME}-worker`;
let core: CoreV1Api;
let apps: AppsV1Api;
let discovery: DiscoveryV1Api;

const onClient = (script: string) => execa('nsenter', [`--net=/run/netns/${NAME}-client`, '--', 'sh', '-c', script], { reject: false });
const onNode = async (node: string, script: string) => String((await execa('nsenter', [`--net=/run/netns/${node}`, '--', 'sh', '-c', script], { reject: false })).stdout);

/** a curl loop from the client host; resolves to the HTTP codes (000 for a failed connection) */
function requestLoop(url: string, n: number) {
  return onClient(`for i in $(seq ${n}); do curl -s -o /dev/null -w '%{http_code}\\n' --max-time 3 ${url}; sleep 0.02; done`)
    .then((r) => String(r.stdout).split('\n').filter(Boolean));
}

const servedOn = (node: string, needle: string) => waitFor(`${node} to program "${needle}"`, async () => (await onNode(node, 'iptables-save -t nat')).includes(needle), 15_000);

beforeAll(async () => {
  requireRoot();
  await cleanupCluster(NAME);
  const { kubeconfig } = await up(NAME);
  const kc = loadKubeConfig(kubeconfig);
  [core, apps, discovery] = [kc.makeApiClient(CoreV1Api), kc.makeApiClient(AppsV1Api), kc.makeApiClient(DiscoveryV1Api)];
  await apps.createNamespacedDeployment({ namespace: 'default', body: {
    metadata: { name: 'echo' },
    spec: { replicas: 6, selector: { matchLabels: { app: 'echo' } }, template: { metadata: { labels: { app: 'echo' } }, spec: { containers: [{ name: 'echo', image: 'amsy810/echo-nginx:v2.0' }] } } },
  } });
  await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'echo' }, spec: { type: 'NodePort', selector: { app: 'echo' }, ports: [{ port: 80, nodePort: 30091 }] } } });
  await waitFor('6 ready echo endpoints', async () => {
    const s = await discovery.listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=echo' });
    return s.items.flatMap((x) => x.endpoints ?? []).filter((e) => e.conditions?.ready).length === 6;
  }, 60_000);
  await waitFor('the NodePort to answer', async () => (await onClient('curl -s -o /dev/null -w %{http_code} --max-time 2 http://172.18.0.3:30091/')).stdout === '200', 20_000);
});
afterAll(() => cleanupCluster(NAME));

describe('kube-proxy reliability', () => {
  it('SIGKILL of a node\'s kube-proxy during a request loop fails no request, and the restarted proxy reconciles', async () => {
    // the echo Service's endpoint rules, two per endpoint, once the worker's kube-proxy has them all
    const sepRules = () => onNode(WORKER, 'iptables-save -t nat | grep -c "^-A KUBE-SEP-.*default/echo"');
    await waitFor('the worker to program the 6 echo endpoints', async () => (await sepRules()) === '12', 15_000);
    const loop = requestLoop('http://172.18.0.3:30091/', 150);
    await new Promise((r) => setTimeout(r, 500));
    const pids = (await execa('pgrep', ['-f', `hostname-override=${WORKER}( |$)`], { reject: false })).stdout.split('\n').filter(Boolean);
    expect(pids.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    await execa('kill', ['-9', ...pids]);
    const codes = await loop;
    expect(codes.length).toBe(150);
    expect(codes.filter((c) => c !== '200')).toEqual([]);
    // kubelet restarts the container; the new process syncs (healthz lastUpdated) with the rules in place
    await waitFor('the restarted kube-proxy to sync', async () => {
      const h = await onNode(WORKER, 'curl -s --max-time 1 http://127.0.0.1:10256/healthz');
      try { return Date.parse(JSON.parse(h).lastUpdated) > killedAt; } catch { return false; }
    }, 30_000);
    expect(await sepRules()).toBe('12');
  });

  it('after an apiserver restart every proxy re-lists and converges on what changed since', async () => {
    const state = readState(NAME)!;
    process.kill(state.pid, 'SIGUSR2'); // the daemon cuts every apiserver connection and refuses new ones for 3 s
    await new Promise((r) => setTimeout(r, 3500));
    await waitFor('the apiserver back', () => core.readNamespace({ name: 'default' }).then(() => true, () => false), 20_000);
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'after-restart' }, spec: { selector: { app: 'echo' }, ports: [{ port: 8080, targetPort: 80 }] } } });
    for (const n of ['control-plane', 'worker', 'worker2']) await servedOn(`${NAME}-${n}`, '"default/after-restart cluster IP"');
  });

  it('200 endpoint changes during a request loop: no request to an endpoint that stays fails', async () => {
    // a selector-less Service whose EndpointSlice we manage: 3 endpoints stay, 3 others flip in and out
    const ips = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=echo' })).items.map((p) => p.status!.podIP!).sort();
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'churn' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30092 }] } } });
    const slice = (flipped: boolean): V1EndpointSlice => ({
      metadata: { name: 'churn-manual', labels: { 'kubernetes.io/service-name': 'churn', 'endpointslice.kubernetes.io/managed-by': 'svclab-test' } },
      addressType: 'IPv4', ports: [{ name: '', port: 80, protocol: 'TCP' }],
      endpoints: ips.map((ip, i) => ({ addresses: [ip], conditions: { ready: i < 3 || flipped } })),
    });
    await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: slice(false) });
    await waitFor('the churn NodePort to answer', async () => (await onClient('curl -s -o /dev/null -w %{http_code} --max-time 2 http://172.18.0.4:30092/')).stdout === '200', 20_000);
    const loop = requestLoop('http://172.18.0.4:30092/', 250);
    for (let i = 1; i <= 200; i++) {
      await discovery.replaceNamespacedEndpointSlice({ name: 'churn-manual', namespace: 'default', body: slice(i % 2 === 1) });
      await new Promise((r) => setTimeout(r, 25));
    }
    const codes = await loop;
    expect(codes.length).toBe(250);
    expect(codes.filter((c) => c !== '200')).toEqual([]);
  });

  it('a Service with values an IPv4 proxy can\'t use does not stop the others syncing', async () => {
    await core.createNamespacedService({ namespace: 'default', body: {
      metadata: { name: 'odd' },
      spec: { type: 'LoadBalancer', selector: { app: 'echo' }, ports: [{ port: 81, targetPort: 80 }], externalIPs: ['2001:db8::10'], loadBalancerSourceRanges: ['2001:db8::/64'] },
    } });
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'next' }, spec: { selector: { app: 'echo' }, ports: [{ port: 82, targetPort: 80 }] } } });
    for (const n of ['control-plane', 'worker', 'worker2']) await servedOn(`${NAME}-${n}`, '"default/next cluster IP"');
    const rules = await onNode(WORKER, 'iptables-save -t nat');
    expect(rules).toContain('"default/odd cluster IP"');
    expect(rules).not.toContain('2001:db8');
  });
});
