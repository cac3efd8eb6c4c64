import { AppsV1Api, CoreV1Api, NetworkingV1Api, Watch, type V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from './apiserver-harness.js';

let api: Awaited<ReturnType<typeof startApiServer>>;
let core: CoreV1Api;
let apps: AppsV1Api;
beforeAll(async () => { api = await startApiServer(5); core = api.kc.makeApiClient(CoreV1Api); apps = api.kc.makeApiClient(AppsV1Api); });
afterAll(() => api.close());

const status = (e: unknown) => JSON.parse((e as { body: string }).body) as { code: number; reason: string; message: string };

describe('embedded apiserver', () => {
  it('serves the kubernetes Service at 10.96.0.1 and allocates ClusterIPs from 10.96.0.0/12', async () => {
    const k = await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' });
    expect(k.spec!.clusterIP).toBe('10.96.0.1');
    const s = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
    const [a, b] = s.spec!.clusterIP!.split('.').map(Number);
    expect(a).toBe(10);
    expect(b).toBeGreaterThanOrEqual(96);
    expect(b).toBeLessThanOrEqual(111);
    expect(s.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  });

  it('keeps the allocated ClusterIP when an update leaves it out, and refuses to change it', async () => {
    const cur = await core.readNamespacedService({ name: 'web', namespace: 'default' });
    const body: V1Service = { metadata: { name: 'web', resourceVersion: cur.metadata!.resourceVersion }, spec: { selector: { app: 'web2' }, ports: [{ port: 80 }] } };
    const upd = await core.replaceNamespacedService({ name: 'web', namespace: 'default', body });
    expect(upd.spec!.clusterIP).toBe(cur.spec!.clusterIP);
    const e = await core.replaceNamespacedService({ name: 'web', namespace: 'default', body: { ...upd, spec: { ...upd.spec, clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'] } } }).catch((x) => x);
    expect(status(e)).toMatchObject({ code: 422, reason: 'Invalid', message: 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.7.7"}: may not change once set' });
  });

  it('allocates NodePorts from 30000-32767 with upstream\'s messages, keeps them on update, frees them on type change and delete', async () => {
    const np = (name: string, nodePort?: number) => ({ metadata: { name }, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 8080, targetPort: 80, ...(nodePort ? { nodePort } : {}) }] } });
    const auto = await core.createNamespacedService({ namespace: 'default', body: np('np-auto') });
    expect(auto.spec!.ports![0]!.nodePort).toBeGreaterThanOrEqual(30000);
    expect(auto.spec!.ports![0]!.nodePort).toBeLessThanOrEqual(32767);
    await core.createNamespacedService({ namespace: 'default', body: np('np-fixed', 30080) });
    expect(status(await core.createNamespacedService({ namespace: 'default', body: np('np-fail', 8888) }).catch((x) => x)).message)
      .toBe('Service "np-fail" is invalid: spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767');
    expect(status(await core.createNamespacedService({ namespace: 'default', body: np('np-fail2', 30080) }).catch((x) => x)).message)
      .toBe('Service "np-fail2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    // an update that leaves nodePort out keeps it
    const cur = await core.readNamespacedService({ name: 'np-fixed', namespace: 'default' });
    const kept = await core.replaceNamespacedService({ name: 'np-fixed', namespace: 'default', body: { ...np('np-fixed'), metadata: { name: 'np-fixed', resourceVersion: cur.metadata!.resourceVersion } } });
    expect(kept.spec!.ports![0]!.nodePort).toBe(30080);
    // back to ClusterIP: the port goes back to the pool
    const toClusterIP = await core.patchNamespacedService({ name: 'np-fixed', namespace: 'default', body: [{ op: 'replace', path: '/spec/type', value: 'ClusterIP' }] });
    expect(toClusterIP.spec!.ports![0]!.nodePort).toBeUndefined();
    await core.createNamespacedService({ namespace: 'default', body: np('np-reuse', 30080) });
    await core.deleteNamespacedService({ name: 'np-reuse', namespace: 'default' });
    await core.createNamespacedService({ namespace: 'default', body: np('np-reuse2', 30080) });
    const forbidden = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'cip' }, spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30001 }] } } }).catch((x) => x);
    expect(status(forbidden).message).toBe("Service \"cip\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  });

  it('serves Ingress and IngressClass with upstream\'s validation messages', async () => {
    const net = api.kc.makeApiClient(NetworkingV1Api);
    await net.createIngressClass({ body: { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } } });
    const path = (p: Record<string, unknown>) => ({ metadata: { name: 'ing' }, spec: { rules: [{ host: 'hello.nginx.com', http: { paths: [{ path: '/x', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } }, ...p }] } }] } });
    const err = async (body: object) => status(await net.createNamespacedIngress({ namespace: 'default', body }).catch((x) => x)).message;
    expect(await err(path({ pathType: undefined }))).toBe('Ingress.networking.k8s.io "ing" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified');
    expect(await err(path({ path: 'x' }))).toBe('Ingress.networking.k8s.io "ing" is invalid: spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path');
    expect(await err(path({ backend: { service: { name: 'web', port: { name: 'http', number: 80 } } } }))).toContain('spec.rules[0].http.paths[0].backend.service.port: Invalid value: "http": cannot set both port name & port number');
    expect(await err({ metadata: { name: 'ing' }, spec: {} })).toContain('either `defaultBackend` or `rules` must be specified');
    const bad = path({});
    (bad.spec.rules[0] as { host: string }).host = 'foo.*.com';
    expect(await err(bad)).toContain('spec.rules[0].host: Invalid value: "foo.*.com": a lowercase RFC 1123 subdomain');
    const wildcard = path({});
    (wildcard.spec.rules[0] as { host: string }).host = '*.devops.cn';
    expect((await net.createNamespacedIngress({ namespace: 'default', body: wildcard })).spec!.rules![0]!.host).toBe('*.devops.cn');
    const tls = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 't' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } } }).catch((x) => x);
    expect(status(tls).message).toBe('Secret "t" is invalid: data[tls.key]: Required value');
  });

  it('gives an Ingress created without a class the default IngressClass (the DefaultIngressClass admission plugin)', async () => {
    const net = api.kc.makeApiClient(NetworkingV1Api);
    const ing = (name: string, extra: Record<string, unknown> = {}) => ({ metadata: { name, ...extra }, spec: { rules: [{ host: 'hello.nginx.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nginx-svc', port: { number: 80 } } } }] } }] } });
    // 'nginx' exists from the test above, not marked default: no class is filled in
    expect((await net.createNamespacedIngress({ namespace: 'default', body: ing('before-default') })).spec!.ingressClassName).toBeUndefined();
    await net.createIngressClass({ body: { metadata: { name: 'nginx-default', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'k8s.io/ingress-nginx' } } });
    expect((await net.createNamespacedIngress({ namespace: 'default', body: ing('example-ingress') })).spec!.ingressClassName).toBe('nginx-default');
    const annotated = await net.createNamespacedIngress({ namespace: 'default', body: ing('annotated', { annotations: { 'kubernetes.io/ingress.class': 'other' } }) });
    expect(annotated.spec!.ingressClassName).toBeUndefined();
    await net.deleteIngressClass({ name: 'nginx-default' });
  });

  it('validates Services and Endpoints as upstream: affinity timeout, port names, targetPorts, endpoint addresses', async () => {
    const svc = (spec: Record<string, unknown>) => ({ metadata: { name: 'v' }, spec: { selector: { app: 'v' }, ports: [{ name: 'http', port: 80 }], ...spec } });
    const msg = async (body: object) => status(await core.createNamespacedService({ namespace: 'default', body }).catch((x) => x)).message;
    expect(await msg(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 90000 } } })))
      .toBe('Service "v" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400');
    expect(await msg(svc({ ports: [{ name: 'http', port: 80, targetPort: 'Http_Port' }] })))
      .toContain('spec.ports[0].targetPort: Invalid value: "Http_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
    expect(await msg(svc({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }))).toContain('spec.ports[1].name: Duplicate value: "http"');
    expect(await msg(svc({ type: 'ExternalName', externalName: '' }))).toContain('spec.externalName: Required value');
    const affinity = await core.createNamespacedService({ namespace: 'default', body: svc({ sessionAffinity: 'ClientIP' }) });
    expect(affinity.spec!.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    const none = await core.patchNamespacedService({ name: 'v', namespace: 'default', body: [{ op: 'replace', path: '/spec/sessionAffinity', value: 'None' }] });
    expect(none.spec!.sessionAffinityConfig).toBeUndefined();
    const ep = await core.createNamespacedEndpoints({ namespace: 'default', body: { metadata: { name: 'ext' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 80 }] }] } }).catch((x) => x);
    expect(status(ep).message).toBe('Endpoints "ext" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)');
  });

  it('defaults Services as SetDefaults_Service and the IP family logic do, for every type', async () => {
    const create = (name: string, spec: V1Service['spec']) => core.createNamespacedService({ namespace: 'default', body: { metadata: { name }, spec } });
    const ext = await create('d-ext', { type: 'ExternalName', externalName: 'www.example.com', ports: [{ port: 80 }] });
    expect(ext.spec).toEqual({ type: 'ExternalName', externalName: 'www.example.com', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
    const eips = await create('d-eips', { externalIPs: ['172.18.0.3'], selector: { app: 'x' }, ports: [{ port: 80 }] });
    expect([eips.spec!.externalTrafficPolicy, eips.spec!.internalTrafficPolicy]).toEqual(['Cluster', 'Cluster']);
    const headless = await create('d-headless', { clusterIP: 'None', selector: { app: 'x' }, ports: [{ port: 80 }] });
    expect([headless.spec!.clusterIPs, headless.spec!.ipFamilyPolicy, headless.spec!.ipFamilies]).toEqual([['None'], 'SingleStack', ['IPv4']]);
    const bare = await create('d-bare', { clusterIP: 'None', ports: [{ port: 80 }] });
    expect([bare.spec!.ipFamilyPolicy, bare.spec!.ipFamilies]).toEqual(['RequireDualStack', ['IPv4']]);
    const lb = await create('d-lb', { type: 'LoadBalancer', selector: { app: 'x' }, ports: [{ port: 80 }] });
    expect([lb.spec!.allocateLoadBalancerNodePorts, lb.spec!.externalTrafficPolicy]).toEqual([true, 'Cluster']);
    // a NodePort turned ExternalName loses what only the old type used (dropTypeDependentFields)
    await create('d-np', { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }] });
    const turned = await core.patchNamespacedService({ name: 'd-np', namespace: 'default', body: [
      { op: 'replace', path: '/spec/type', value: 'ExternalName' }, { op: 'add', path: '/spec/externalName', value: 'www.example.com' },
    ] });
    expect(turned.spec).not.toHaveProperty('externalTrafficPolicy');
    expect(turned.spec).not.toHaveProperty('internalTrafficPolicy');
    expect(turned.spec).not.toHaveProperty('clusterIP');
    expect(turned.spec!.ports![0]).not.toHaveProperty('nodePort');
    for (const name of ['d-ext', 'd-eips', 'd-headless', 'd-bare', 'd-lb', 'd-np']) await core.deleteNamespacedService({ name, namespace: 'default' });
  });

  it('answers a stale update with upstream\'s 409 Conflict', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c' }, data: { a: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'c', namespace: 'default', body: { ...cm, data: { a: '2' } } });
    const e = await core.replaceNamespacedConfigMap({ name: 'c', namespace: 'default', body: { ...cm, data: { a: '3' } } }).catch((x) => x);
    expect(status(e)).toMatchObject({ code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again' });
  });

  it('rejects invalid objects with the apiserver\'s messages', async () => {
    const e = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'Bad_Name' }, spec: { ports: [{ port: 70000 }] } } }).catch((x) => x);
    const s = status(e);
    expect(s.code).toBe(422);
    expect(s.message).toContain('Service "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of');
    expect(s.message).toContain('spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
    const d = await apps.createNamespacedDeployment({ namespace: 'default', body: { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } } }).catch((x) => x);
    expect(status(d).message).toBe('Deployment.apps "d" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`');
  });

  it('filters lists by label and field selectors', async () => {
    for (const [name, tier] of [['p1', 'fe'], ['p2', 'be']]) {
      await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name, labels: { tier: tier! } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
    }
    expect((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'tier=fe' })).items.map((p) => p.metadata!.name)).toEqual(['p1']);
    expect((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'tier in (fe,be),tier!=fe' })).items.map((p) => p.metadata!.name)).toEqual(['p2']);
    await core.createNamespacedPodBinding({ namespace: 'default', name: 'p2', body: { metadata: { name: 'p2' }, target: { kind: 'Node', name: 'n1' } } });
    expect((await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=n1' })).items.map((p) => p.metadata!.name)).toEqual(['p2']);
  });

  it('resumes a watch from a resourceVersion, and answers 410 Gone once it left the history', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const rv = list.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1' } } });
    const events: string[] = [];
    const watch = new Watch(api.kc);
    const req = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv }, (type, obj) => events.push(`${type} ${obj.metadata.name}`), () => undefined);
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'w1' });
    await new Promise((r) => setTimeout(r, 200));
    req.abort();
    expect(events).toEqual(['ADDED w1', 'DELETED w1']);
    for (let i = 0; i < 6; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `fill${i}` } } });
    const gone: Array<{ type: string; code?: number }> = [];
    const req2 = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv }, (type, obj) => gone.push({ type, code: obj.code }), () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    req2.abort();
    expect(gone[0]).toEqual({ type: 'ERROR', code: 410 });
  });

  it('deletes in the foreground: the owner waits under foregroundDeletion while dependents remain', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fg-owner' } } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata!.uid!, blockOwnerDeletion: true };
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fg-dep', ownerReferences: [ref], finalizers: ['example.com/hold'] } } });
    await core.deleteNamespacedConfigMap({ name: 'fg-owner', namespace: 'default', propagationPolicy: 'Foreground' });
    const deleting = await core.readNamespacedConfigMap({ name: 'fg-owner', namespace: 'default' });
    expect(deleting.metadata!.finalizers).toContain('foregroundDeletion');
    expect(deleting.metadata!.deletionTimestamp).toBeTruthy();
    // the dependent is held by its own finalizer; releasing it lets both go
    const dep = await core.readNamespacedConfigMap({ name: 'fg-dep', namespace: 'default' });
    expect(dep.metadata!.deletionTimestamp).toBeTruthy();
    await core.replaceNamespacedConfigMap({ name: 'fg-dep', namespace: 'default', body: { ...dep, metadata: { ...dep.metadata, finalizers: [] } } });
    for (const name of ['fg-dep', 'fg-owner']) expect(status(await core.readNamespacedConfigMap({ name, namespace: 'default' }).catch((x) => x)).code).toBe(404);
  });

  it('terminates a namespace: Terminating while content remains, refuses new content, gone when empty', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    await core.deleteNamespace({ name: 'doomed' });
    expect((await core.readNamespace({ name: 'doomed' })).status!.phase).toBe('Terminating');
    const refused = await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } }).catch((x) => x);
    expect(status(refused)).toMatchObject({ code: 403, message: 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated' });
    const held = await core.readNamespacedConfigMap({ name: 'held', namespace: 'doomed' });
    await core.replaceNamespacedConfigMap({ name: 'held', namespace: 'doomed', body: { ...held, metadata: { ...held.metadata, finalizers: [] } } });
    expect(status(await core.readNamespace({ name: 'doomed' }).catch((x) => x)).code).toBe(404);
  });

  it('deletes dependents with their owner (garbage collection)', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }] } } });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner' });
    const e = await core.readNamespacedConfigMap({ namespace: 'default', name: 'dep' }).catch((x) => x);
    expect(status(e)).toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "dep" not found' });
  });
});
