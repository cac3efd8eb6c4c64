import { startCluster } from '@svclab/cluster';
import { CoreV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
const t0 = performance.now();
const c = await startCluster({ name: 'svbtry', addons: ['ingress-nginx'], log: (m) => console.error(m) });
console.error('started', performance.now() - t0);
const core = c.kubeConfig.makeApiClient(CoreV1Api);
try {
  for (let i = 0; i < 100; i++) {
    const pods = (await core.listNamespacedPod({ namespace: 'ingress-nginx' })).items;
    const p = pods[0];
    if (p?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) { console.error('ready', performance.now() - t0, p.metadata?.uid, p.spec?.nodeName, p.status?.podIP); break; }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log((await execa('ip', ['netns', 'list'])).stdout);
  console.log((await execa('sh', ['-c', 'find /run/svclab/svbtry -maxdepth 5 | head -50; ps -eo pid,ppid,user,args | grep -E "nginx|ingress" | grep -v grep'])).stdout);
  console.log((await execa('ip', ['-n', 'svbtry-client', 'route'])).stdout);
} finally { await c.stop(); }
