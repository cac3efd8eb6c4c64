// The nftables backend against the real nft and kernel, in network namespaces of its own: the full
// ruleset loads and lists back identically, an incremental sync changes only what it should and
// ends where a full sync of the same Services ends, and flush / cleanup behave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NftablesProxier } from '../src/nftables/proxier.js';
import { nftRunner, type NftRunner } from '../src/nftables/runner.js';
import { STALE_CHAIN_DELAY_MS } from '../src/nftables/render.js';
import { buildServicePorts, type ServicePort } from '../src/service-ports.js';
import { allPorts, backendOptions, service, slice } from './nftables-fixtures.js';
import { addNetns, deleteNetns, inNetns, minus, netnsName, requireRoot, tableFacts } from './nftables-netns.js';

const ns = netnsName();
const reference = netnsName('-ref');

/** records the transactions a real runner sends */
function recording(runner: NftRunner): NftRunner & { sent: string[] } {
  const sent: string[] = [];
  return { sent, localAddresses: () => runner.localAddresses(), run: (args, input) => { if (args[0] === '-f') sent.push(input ?? ''); return runner.run(args, input); } };
}

// the incremental change: svc1 deleted, svc4 loses an endpoint, svc6 gets its first, a new Service appears
const changedNames = ['ns1/svc1:p80', 'ns4/svc4:p80', 'ns6/svc6:p80', 'ns13/new:p80'];
function changedPorts(): ServicePort[] {
  const added = buildServicePorts(
    [service('ns13', 'new', { clusterIP: '172.30.0.53', type: 'NodePort', ports: [{ name: 'p80', port: 80, nodePort: 3013 }] })],
    [slice('ns13', 'new', [{ name: 'p80', port: 8080 }], [{ ip: '10.180.0.53' }])],
  );
  const ep = (ip: string) => ({ ip, port: 80, ready: true, serving: true, terminating: false });
  return [...allPorts(), ...added]
    .filter((p) => p.name !== 'ns1/svc1:p80')
    .map((p) => (p.name === 'ns4/svc4:p80' ? { ...p, endpoints: [{ ...ep('10.180.0.5'), nodeName: 'test-node' }] } : p))
    .map((p) => (p.name === 'ns6/svc6:p80' ? { ...p, endpoints: [ep('10.180.0.6')] } : p))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe('nftables backend in a network namespace', () => {
  const runner = recording(nftRunner(ns));
  const proxier = new NftablesProxier(backendOptions, runner);

  beforeAll(async () => {
    requireRoot();
    for (const n of [ns, reference]) {
      await addNetns(n);
      // the node address that nodePortAddresses 192.168.0.2/32 selects
      await inNetns(n, 'ip', ['addr', 'add', '192.168.0.2/32', 'dev', 'lo']);
    }
  });
  afterAll(() => deleteNetns(ns, reference));

  it('finds nft and a kernel it can use (check())', async () => {
    await proxier.check();
    expect((await inNetns(ns, 'nft', ['list', 'tables'])).stdout).not.toContain('svclab-probe');
  });

  it('loads the full ruleset in one transaction, and `nft list table ip kube-proxy` round-trips', async () => {
    const sentBefore = runner.sent.length; // check()'s probe was a transaction too
    await proxier.sync(allPorts());
    expect(runner.sent).toHaveLength(sentBefore + 1);
    const full = runner.sent.at(-1)!;
    const listed = (await inNetns(ns, 'nft', ['list', 'table', 'ip', 'kube-proxy'])).stdout;
    // every chain and element we sent is there
    const facts = await tableFacts(ns);
    const sentChains = [...full.matchAll(/^add chain ip kube-proxy (\S+)/gm)].map((m) => `chain ${m[1]}`);
    expect(minus(new Set(sentChains), facts)).toEqual([]);
    expect([...facts].filter((f) => f.startsWith('chain '))).toHaveLength(new Set(sentChains).size);
    expect([...facts].filter((f) => f.startsWith('element service-ips '))).toHaveLength((full.match(/^add element ip kube-proxy service-ips /gm) ?? []).length);
    expect(facts).toContain('element nodeport-ips "192.168.0.2"');
    // the listing is itself a valid ruleset that loads back to the same listing
    await inNetns(ns, 'nft', ['delete', 'table', 'ip', 'kube-proxy']);
    await inNetns(ns, 'nft', ['-f', '-'], listed);
    expect((await inNetns(ns, 'nft', ['list', 'table', 'ip', 'kube-proxy'])).stdout).toBe(listed);
    expect(await proxier.flushed()).toBe(false);
  });

  it('applies an incremental sync that changes only the changed Services, and converges with a full sync', async () => {
    const before = await tableFacts(ns);
    await proxier.sync(changedPorts(), new Set(changedNames));
    expect(proxier.lastSync).toMatchObject({ full: false, rewritten: 3 });
    expect(runner.sent.at(-1)).not.toContain('add table');
    const after = await tableFacts(ns);
    const touched = [...minus(before, after), ...minus(after, before)];
    expect(touched.length).toBeGreaterThan(0);
    const theirs = /ns1\/svc1|ns4\/svc4|ns6\/svc6|ns13\/new|"172\.30\.0\.(41|44|46|53)"/;
    expect(touched.filter((f) => !theirs.test(f))).toEqual([]);

    // a fresh proxier's full sync of the same Services, in another namespace
    await new NftablesProxier(backendOptions, nftRunner(reference)).sync(changedPorts());
    const fresh = await tableFacts(reference);
    expect(minus(fresh, after)).toEqual([]);
    // what only the incremental table has: the chains of the deleted Service and endpoint, emptied, not yet deleted
    expect(minus(after, fresh)).toEqual([
      'chain endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
      'chain endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80',
      'chain service-ULMVA6XW-ns1/svc1/tcp/p80',
    ]);

    await new Promise((r) => setTimeout(r, STALE_CHAIN_DELAY_MS + 100));
    await proxier.sync(changedPorts(), new Set());
    expect(runner.sent.at(-1)!.split('\n').filter((l) => l.startsWith('delete chain'))).toHaveLength(3);
    expect(await tableFacts(ns)).toEqual(fresh);
  });

  it('notices a flushed ruleset and syncs fully again, even when handed a change list', async () => {
    await inNetns(ns, 'nft', ['flush', 'ruleset']);
    expect(await proxier.flushed()).toBe(true);
    await proxier.sync(changedPorts(), new Set(['ns13/new:p80']));
    expect(proxier.lastSync?.full).toBe(true);
    expect(await tableFacts(ns)).toEqual(await tableFacts(reference));
  });

  it('cleans up the table, and cleaning up again is no error', async () => {
    await proxier.cleanup();
    expect((await inNetns(ns, 'nft', ['list', 'tables'])).stdout).not.toContain('kube-proxy');
    await proxier.cleanup();
    expect(await proxier.flushed()).toBe(true);
  });
});
