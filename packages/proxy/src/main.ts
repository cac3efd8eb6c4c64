// kube-proxy's command line: --config <KubeProxyConfiguration file>, --hostname-override, --cleanup.
import { parseArgs } from 'node:util';
import { loadKubeConfig } from '@svclab/kube';
import { loadConfig } from './config.js';
import { makeBackend, Proxy } from './proxy.js';

const log = (m: string) => process.stderr.write(`${new Date().toISOString()} kube-proxy: ${m}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, 'hostname-override': { type: 'string' }, cleanup: { type: 'boolean' } }, allowPositionals: false });
  if (!values.config) throw new Error('--config is required (a KubeProxyConfiguration file, as mounted from the kube-proxy ConfigMap)');
  const cfg = loadConfig(values.config);
  cfg.hostnameOverride = values['hostname-override'] ?? cfg.hostnameOverride;
  const backend = await makeBackend(cfg);
  if (values.cleanup) { await backend.cleanup(); return; }
  const kc = loadKubeConfig(cfg.kubeconfig);
  log(`using ${cfg.mode} mode on node ${cfg.hostnameOverride ?? '(unset)'}`);
  const proxy = new Proxy(cfg, kc, backend, log);
  await proxy.start();
  // kubelet gives a terminating pod a grace period; leave well inside it even if a watch hangs
  const stop = () => { setTimeout(() => process.exit(0), 500).unref(); void proxy.stop().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: Error) => { log(`fatal: ${e.message}`); process.exit(1); });
