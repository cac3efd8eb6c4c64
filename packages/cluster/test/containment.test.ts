import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../../lab/src/drivers/embedded.js';
import { cleanupCluster } from '../src/cleanup.js';
import { clusterDir, readState } from '../src/state.js';
import { hostNetworkSnapshot, namespacesOf, requireRoot } from './host.js';

const NAME = 'svck';
const repo = new URL('../../..', import.meta.url).pathname;
let before: string;

async function pidsIn(namespaces: string[]): Promise<number[]> {
  return (await Promise.all(namespaces.map(async (n) => (await execa('ip', ['netns', 'pids', n], { reject: false })).stdout.split('\n').filter(Boolean)))).flat().map(Number);
}

async function killDaemonHard(): Promise<{ namespaces: string[]; pids: number[] }> {
  const state = readState(NAME)!;
  // wait for the kube-proxy pods, so there are processes in every node namespace to leave behind
  for (let i = 0; i < 100 && (await pidsIn(state.nodes)).length < 3 * 2; i++) await new Promise((r) => setTimeout(r, 100));
  process.kill(state.pid, 'SIGKILL');
  while (existsSync(`/proc/${state.pid}`)) await new Promise((r) => setTimeout(r, 20));
  const namespaces = await namespacesOf(NAME);
  return { namespaces, pids: await pidsIn(namespaces) };
}

beforeAll(async () => { requireRoot(); await cleanupCluster(NAME); before = await hostNetworkSnapshot(); });
afterAll(() => cleanupCluster(NAME));

describe('containment after SIGKILL', () => {
  it('the next `lab up` clears what a killed cluster left, then `lab down` removes everything', async () => {
    await up(NAME);
    const first = await killDaemonHard();
    expect(first.namespaces.length).toBeGreaterThan(3);
    expect(first.pids.length).toBeGreaterThan(0);

    await up(NAME); // same name: must start cleanly over the leftovers
    expect(first.pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    const second = await killDaemonHard();

    const out = (await execa('pnpm', ['--silent', 'lab', 'down', '--name', NAME], { cwd: repo })).stdout;
    expect(out).toContain('removed network namespace');
    expect(await namespacesOf(NAME)).toEqual([]);
    expect(second.pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(clusterDir(NAME));
    expect(existsSync(clusterDir(NAME))).toBe(false);
    expect(await hostNetworkSnapshot()).toBe(before);
  });
});
