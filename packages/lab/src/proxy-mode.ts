// Tutorial 000's mode switch: change `mode` in the kube-proxy ConfigMap, delete the kube-proxy pods,
// and let the DaemonSet start new ones that read it. Then wait for every new pod to either program
// its node (healthz answers with a fresh lastUpdated) or fail (its log says why).
import type { V1Pod } from '@kubernetes/client-node';
import { kubectl } from './kubectl.js';
import type { LabContext } from './scenario.js';

export interface ModeSwitch {
  mode: string;
  /** every node's kube-proxy synced in the new mode */
  ok: boolean;
  /** the log of a kube-proxy that could not start in that mode */
  failure?: string;
}

const KS = 'kube-system';

export async function currentProxyMode(ctx: LabContext): Promise<string> {
  const cm = await ctx.core.readNamespacedConfigMap({ name: 'kube-proxy', namespace: KS });
  return cm.data?.['config.conf']?.match(/^mode:\s*"?([^"\s]*)"?\s*$/m)?.[1] || 'iptables';
}

export async function switchProxyMode(ctx: LabContext, mode: string, timeoutMs = 30_000): Promise<ModeSwitch> {
  const cm = await ctx.core.readNamespacedConfigMap({ name: 'kube-proxy', namespace: KS });
  const conf = cm.data?.['config.conf'] ?? '';
  if (!/^mode:/m.test(conf)) throw new Error('the kube-proxy ConfigMap has no mode: line in config.conf');
  cm.data!['config.conf'] = conf.replace(/^mode:.*$/m, `mode: ${mode}`);
  ctx.narrate.say(`kubectl edit cm kube-proxy -n kube-system, with mode: ${mode} (done here with replace, no editor):`);
  const replaced = await kubectl(ctx, ['replace', '-f', '-'], { input: JSON.stringify(cm), shown: `replace -f -    # the ConfigMap with mode: ${mode}` });
  if (replaced.exitCode !== 0) throw new Error(`kubectl replace failed: ${replaced.output}`);
  const since = Date.now();
  const old = new Set((await kubeProxyPods(ctx)).map((p) => p.metadata!.name!));
  await kubectl(ctx, ['delete', 'pod', '-l', 'k8s-app=kube-proxy', '-n', KS]);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = (await kubeProxyPods(ctx)).filter((p) => !old.has(p.metadata!.name!) && !p.metadata!.deletionTimestamp);
    const failed = pods.find((p) => { const c = p.status?.containerStatuses?.[0]; return (c?.restartCount ?? 0) > 0 || c?.state?.terminated || c?.lastState?.terminated; });
    if (failed) {
      const logs = await kubectl(ctx, ['logs', '-n', KS, failed.metadata!.name!, '--previous'], { shown: `logs -n kube-system ${failed.metadata!.name} --previous` });
      return { mode, ok: false, failure: logs.stdout || logs.output };
    }
    const nodes = ctx.cluster.nodes.map((n) => n.name);
    if (pods.length === nodes.length && (await Promise.all(nodes.map((n) => syncedSince(ctx, n, since)))).every(Boolean)) {
      await kubectl(ctx, ['get', 'pod', '-l', 'k8s-app=kube-proxy', '-n', KS, '-o', 'wide']);
      return { mode, ok: true };
    }
    if (Date.now() > deadline) throw new Error(`the new kube-proxy pods did not sync in ${mode} mode within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function kubeProxyPods(ctx: LabContext): Promise<V1Pod[]> {
  return (await ctx.core.listNamespacedPod({ namespace: KS, labelSelector: 'k8s-app=kube-proxy' })).items;
}

/** upstream's /healthz on 10256: lastUpdated is the last successful sync */
async function syncedSince(ctx: LabContext, node: string, since: number): Promise<boolean> {
  const r = await ctx.cluster.onNode(node, 'curl -s --max-time 1 http://127.0.0.1:10256/healthz');
  try { return Date.parse(JSON.parse(r.stdout).lastUpdated) >= since; } catch { return false; }
}
