// Real packets through the nftables backend: a "node" namespace holding table ip kube-proxy and an
// "endpoint" namespace with a TCP server, joined by a veth. ClusterIP traffic is DNATed to the
// endpoint and answered; a Service without endpoints (or a ClusterIP port nobody serves) refuses
// at once; a NodePort hairpin from the endpoint back to itself is masqueraded.
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendOptions } from '../src/backend.js';
import { NftablesProxier } from '../src/nftables/proxier.js';
import { nftRunner } from '../src/nftables/runner.js';
import { buildServicePorts } from '../src/service-ports.js';
import { service, slice } from './nftables-fixtures.js';
import { addNetns, deleteNetns, inNetns, netnsName, requireRoot } from './nftables-netns.js';

const node = netnsName('-node');
const endpoint = netnsName('-ep');
const NODE_IP = '10.200.0.1';
const EP_IP = '10.200.0.2';

const options: BackendOptions = {
  nodeName: 'node', nodeIPs: [NODE_IP], nodePortAddresses: [], clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, ipvsScheduler: '',
};

const http = [{ name: 'http', port: 80 }];
const services = [
  service('demo', 'web', { clusterIP: '172.30.0.10', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
  service('demo', 'empty', { clusterIP: '172.30.0.11', ports: http }),
];
const webSlice = slice('demo', 'web', [{ name: 'http', port: 8080 }], [{ ip: EP_IP, node: 'node' }]);

// one connection, reported as JSON: what the server said, or the error code, and how long it took
const CLIENT = `
const [host, port] = process.argv.slice(1);
const t = Date.now();
const done = (r) => { console.log(JSON.stringify({ ...r, ms: Date.now() - t })); process.exit(0); };
const s = require('net').connect({ host, port: Number(port), timeout: 3000 });
let data = '';
s.on('data', (d) => { data += d; });
s.on('end', () => done({ data }));
s.on('timeout', () => done({ error: 'TIMEOUT' }));
s.on('error', (e) => done({ error: e.code }));
`;
const SERVER = `
require('net').createServer((s) => s.end('hello from ' + s.localAddress + ' to ' + s.remoteAddress + '\\n'))
  .listen(8080, '${EP_IP}', () => console.log('listening'));
`;

async function connect(from: string, host: string, port: number): Promise<{ data?: string; error?: string; ms: number }> {
  return JSON.parse((await inNetns(from, 'node', ['-e', CLIENT, host, String(port)])).stdout) as { data?: string; error?: string; ms: number };
}

describe('packets through the nftables backend', () => {
  let server: ResultPromise | undefined;
  const proxier = new NftablesProxier(options, nftRunner(node));

  beforeAll(async () => {
    requireRoot();
    await addNetns(node);
    await addNetns(endpoint);
    await inNetns(node, 'ip', ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', endpoint]);
    await inNetns(node, 'ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', 'veth0']);
    await inNetns(node, 'ip', ['link', 'set', 'veth0', 'up']);
    // local clients route ClusterIPs to the wire; DNAT then picks the endpoint
    await inNetns(node, 'ip', ['route', 'add', '172.30.0.0/16', 'dev', 'veth0']);
    await inNetns(node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await inNetns(endpoint, 'ip', ['addr', 'add', `${EP_IP}/24`, 'dev', 'veth1']);
    await inNetns(endpoint, 'ip', ['link', 'set', 'veth1', 'up']);
    await inNetns(endpoint, 'ip', ['route', 'add', 'default', 'via', NODE_IP]);

    server = inNetns(endpoint, 'node', ['-e', SERVER]);
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once('data', () => resolve());
      server!.once('exit', (code) => reject(new Error(`the test server exited (${code})`)));
    });
    await proxier.check();
    await proxier.sync(buildServicePorts(services, [webSlice]));
  });

  afterAll(async () => {
    server?.kill();
    await server?.catch(() => undefined);
    await deleteNetns(node, endpoint);
  });

  it('DNATs a connection to the ClusterIP to the endpoint, which answers', async () => {
    const r = await connect(node, '172.30.0.10', 80);
    expect(r.error).toBeUndefined();
    expect(r.data).toBe(`hello from ${EP_IP} to ${NODE_IP}\n`);
  });

  it('refuses a connection to a Service without endpoints at once (reject, not a timeout)', async () => {
    const r = await connect(node, '172.30.0.11', 80);
    expect(r.error).toBe('ECONNREFUSED');
    expect(r.ms).toBeLessThan(1000);
  });

  it('refuses a ClusterIP port no Service has (cluster-ips-check)', async () => {
    const r = await connect(node, '172.30.0.10', 81);
    expect(r.error).toBe('ECONNREFUSED');
    expect(r.ms).toBeLessThan(1000);
  });

  it('sends the endpoint\'s own NodePort connection back to it, masqueraded so the reply returns through the node', async () => {
    const r = await connect(endpoint, NODE_IP, 30080);
    expect(r.error).toBeUndefined();
    expect(r.data).toBe(`hello from ${EP_IP} to ${NODE_IP}\n`);
  });

  it('serves the formerly empty Service after an incremental sync gives it the endpoint', async () => {
    const slices = [webSlice, slice('demo', 'empty', [{ name: 'http', port: 8080 }], [{ ip: EP_IP }])];
    await proxier.sync(buildServicePorts(services, slices), new Set(['demo/empty:http']));
    expect(proxier.lastSync).toMatchObject({ full: false, rewritten: 1 });
    const r = await connect(node, '172.30.0.11', 80);
    expect(r.data).toBe(`hello from ${EP_IP} to ${NODE_IP}\n`);
  });
});
