// The nftables backend (upstream's pkg/proxy/nftables): table "ip kube-proxy", one `nft -f -`
// transaction per sync. The first sync, a sync without `changed`, one after a failure and one after
// the table vanished are full; the others rewrite only the changed Service ports.
import type { Backend, BackendOptions } from '../backend.js';
import { nodePortIPs } from '../node-addresses.js';
import type { ServicePort } from '../service-ports.js';
import { NameCache, isAffinitySetName, isServiceChainName } from './names.js';
import { checkNftables } from './probe.js';
import { emptyState, renderSync, type SyncState } from './render.js';
import { nftRunner, type NftRunner } from './runner.js';

interface Listed { chain?: { table: string; name: string }; set?: { table: string; name: string } }

export class NftablesProxier implements Backend {
  readonly mode = 'nftables' as const;
  /** the table as the last successful sync left it */
  private state: SyncState = emptyState();
  private needFullSync = true;
  /** upstream re-creates the base chains once per process (their priorities may have changed) */
  private baseChainsRecreated = false;
  private readonly names = new NameCache();
  /** what the last sync did, for logs and tests */
  lastSync?: { full: boolean; rewritten: number; bytes: number };

  constructor(private readonly opts: BackendOptions, private readonly nft: NftRunner = nftRunner()) {}

  check(): Promise<void> {
    return checkNftables(this.nft);
  }

  async sync(ports: ServicePort[], changed?: ReadonlySet<string>): Promise<void> {
    const full = this.needFullSync || changed === undefined;
    const now = Date.now();
    const [prior, nodeIPs] = full ? await Promise.all([this.listTable(), this.nodePortIPs()]) : [this.state, undefined];
    if (full) this.names.rotate();
    const r = renderSync({
      ports,
      plan: { nodeName: this.opts.nodeName, clusterCIDR: this.opts.clusterCIDR, masqueradeAll: this.opts.masqueradeAll, nodeIP: this.opts.nodeIPs.find((ip) => !ip.includes(':')) },
      names: this.names,
      setup: full ? { mark: `0x${(1 << this.opts.masqueradeBit).toString(16)}`, nodePortIPs: nodeIPs, recreateBaseChains: !this.baseChainsRecreated } : undefined,
      changed,
      prior,
      now,
    });
    // until this transaction succeeds, what we know of the table is unreliable: the next sync is full
    this.needFullSync = true;
    if (r.text) await this.nft.run(['-f', '-'], r.text);
    this.state = r.next;
    this.needFullSync = false;
    this.baseChainsRecreated = true;
    this.lastSync = { full, rewritten: r.rewritten, bytes: r.text.length };
  }

  /** Deletes table ip kube-proxy; "add" first so that a missing table is no error (nor is a missing nft: no table either). */
  async cleanup(): Promise<void> {
    try {
      await this.nft.run(['-f', '-'], 'add table ip kube-proxy\ndelete table ip kube-proxy\n');
    } catch (e) {
      if (!/ENOENT|exec of "nft" failed/.test((e as Error).message)) throw e;
    }
    this.state = emptyState();
    this.needFullSync = true;
  }

  /** true when the table is gone (`nft flush ruleset`, another kube-proxy's cleanup): the next sync is full */
  async flushed(): Promise<boolean> {
    const tables = await this.nft.run(['list', 'tables', 'ip']);
    const gone = !/^table ip kube-proxy$/m.test(tables);
    if (gone) this.needFullSync = true;
    return gone;
  }

  /** the addresses NodePorts answer on (nodeport-ips), undefined for all of them; read on full syncs, as upstream */
  private async nodePortIPs(): Promise<string[] | undefined> {
    if (this.opts.nodePortAddresses.length === 0) return undefined;
    return nodePortIPs(this.opts.nodePortAddresses, await this.nft.localAddresses());
  }

  /**
   * For a full sync: our Service chains and affinity sets as they exist now (a previous process may
   * have left some, or a failed sync may have left our bookkeeping behind). Chains we had already
   * emptied keep their stale time, so a failure does not postpone their deletion forever.
   */
  private async listTable(): Promise<SyncState> {
    const list = async (what: 'chains' | 'sets') => {
      const out = JSON.parse(await this.nft.run(['-j', 'list', what, 'ip'])) as { nftables: Listed[] };
      return out.nftables.map((o) => o.chain ?? o.set).filter((o) => o?.table === 'kube-proxy').map((o) => o!.name);
    };
    const [chains, sets] = await Promise.all([list('chains'), list('sets')]);
    const state = emptyState();
    for (const c of chains.filter(isServiceChainName)) {
      const since = this.state.stale.get(c);
      if (since === undefined) state.chains.add(c);
      else state.stale.set(c, since);
    }
    for (const s of sets.filter(isAffinitySetName)) state.affinitySets.add(s);
    return state;
  }
}
