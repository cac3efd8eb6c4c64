// `pnpm bench cluster`: from `lab up` to all nodes Ready and every kube-proxy having programmed its
// rules (the kubernetes Service's chain present in each node's nat table); median of N runs.
import { CoreV1Api } from '@kubernetes/client-node';
import { cleanupCluster, readState } from '@svclab/cluster';
import { loadKubeConfig } from '@svclab/kube';
import { execa } from 'execa';
import { up } from '../drivers/embedded.js';
import { waitFor } from '../wait.js';

async function programmed(node: string): Promise<boolean> {
  const r = await execa('nsenter', [`--net=/run/netns/${node}`, 'iptables-save', '-t', 'nat'], { reject: false });
  return r.stdout.includes('-j KUBE-SVC-NPX46M4PTMTKRN6Y');
}

export async function benchClusterOnce(name: string): Promise<number> {
  await cleanupCluster(name);
  const t0 = performance.now();
  const { kubeconfig } = await up(name);
  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  const nodes = readState(name)!.nodes;
  await waitFor('all nodes Ready', async () => {
    const items = (await core.listNode()).items;
    return items.length === nodes.length && items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, 60_000, 20);
  await waitFor('kube-proxy rules on every node', async () => (await Promise.all(nodes.map(programmed))).every(Boolean), 60_000, 20);
  const ms = performance.now() - t0;
  await cleanupCluster(name);
  return ms;
}

export async function benchCluster(runs: number, print: (s: string) => void): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const ms = await benchClusterOnce('svcbench');
    times.push(ms);
    print(`  run ${i + 1}: ${(ms / 1000).toFixed(2)} s`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  print(`cluster up -> 3 nodes Ready + kube-proxy programmed on all: median ${(median / 1000).toFixed(2)} s (min ${(sorted[0]! / 1000).toFixed(2)} s, max ${(sorted.at(-1)! / 1000).toFixed(2)} s, ${runs} runs)`);
}
