import { describe, expect, it } from 'vitest';
import { CANARY, IptablesProxier, type IptablesRunner } from '../src/iptables/proxier.js';

function fakeIptables(): IptablesRunner & { tables: Map<string, Set<string>> } {
  const tables = new Map([['filter', new Set<string>()], ['nat', new Set<string>()], ['mangle', new Set<string>()]]);
  return {
    tables,
    async save() { return [...tables].map(([t, chains]) => `*${t}\n${[...chains].map((c) => `:${c} - [0:0]`).join('\n')}\nCOMMIT`).join('\n'); },
    async restore(input) {
      let table = '';
      for (const line of input.split('\n')) {
        if (line.startsWith('*')) table = line.slice(1);
        else if (line.startsWith(':')) tables.get(table)!.add(line.slice(1).split(' ')[0]!);
        else if (line.startsWith('-X ')) tables.get(table)!.delete(line.slice(3));
      }
    },
  };
}

describe('the canary chain', () => {
  it('is written in every table, and its absence in any one of them reads as a flush', async () => {
    const ipt = fakeIptables();
    const proxier = new IptablesProxier({ clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: false }, ipt);
    expect(await proxier.flushed()).toBe(true);
    await proxier.sync([]);
    expect([...ipt.tables.values()].every((chains) => chains.has(CANARY))).toBe(true);
    expect(await proxier.flushed()).toBe(false);
    ipt.tables.get('mangle')!.clear();
    expect(await proxier.flushed()).toBe(true);
    await proxier.cleanup();
    expect([...ipt.tables.values()].some((chains) => chains.has(CANARY))).toBe(false);
  });
});
