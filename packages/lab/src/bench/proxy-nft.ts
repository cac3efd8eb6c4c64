// The nftables backend (packages/proxy/src/nftables/, written alongside this bench), loaded at run
// time: when its files are missing or do not load, the nftables rows say so instead of the bench
// failing, and this file type-checks either way (the shapes below are what the bench uses of it).
import type { Backend, BackendOptions } from '../../../proxy/src/backend.js';

export interface NftRunnerLike {
  run(args: string[], input?: string): Promise<string>;
  localAddresses(): Promise<string[]>;
}

export interface NftBackend extends Backend {
  /** what the last sync did (NftablesProxier.lastSync) */
  lastSync?: { full: boolean; rewritten: number; bytes: number };
}

export interface NftModule {
  create(opts: BackendOptions, runner: NftRunnerLike): NftBackend;
  runner(netns: string): NftRunnerLike;
}

export type NftLoad = { ok: true; module: NftModule } | { ok: false; why: string };

/** NftablesProxier(opts, runner) and nftRunner(netns), or why they are not usable here */
export async function loadNftables(): Promise<NftLoad> {
  const at = (f: string) => new URL(`../../../proxy/src/nftables/${f}`, import.meta.url).href;
  try {
    const proxier = await import(at('proxier.js')) as { NftablesProxier?: new (o: BackendOptions, r: NftRunnerLike) => NftBackend };
    const runner = await import(at('runner.js')) as { nftRunner?: (netns?: string) => NftRunnerLike };
    const { NftablesProxier } = proxier;
    const { nftRunner } = runner;
    if (typeof NftablesProxier !== 'function' || typeof nftRunner !== 'function') {
      return { ok: false, why: 'packages/proxy/src/nftables/ does not export NftablesProxier and nftRunner' };
    }
    return { ok: true, module: { create: (o, r) => new NftablesProxier(o, r), runner: (ns) => nftRunner(ns) } };
  } catch (e) {
    return { ok: false, why: `packages/proxy/src/nftables/ did not load: ${(e as Error).message.split('\n')[0]}` };
  }
}
