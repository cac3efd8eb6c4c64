// kube-proxy's command line: --config <KubeProxyConfiguration file>, --hostname-override, --cleanup.
import { parseArgs } from 'node:util';
import { loadKubeConfig } from '@svclab/kube';
import { backendOptions, cleanupOtherModes, createBackend, MODES } from './backends.js';
import { loadConfig } from './config.js';
import { Proxy } from './proxy.js';

const log = (m: string) => process.stderr.write(`${new Date().toISOString()} kube-proxy: ${m}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, 'hostname-override': { type: 'string' }, cleanup: { type: 'boolean' } }, allowPositionals: false });
  if (!values.config) throw new Error('--config is required (a KubeProxyConfiguration file, as mounted from the kube-proxy ConfigMap)');
  const cfg = loadConfig(values.config);
  cfg.hostnameOverride = values['hostname-override'] ?? cfg.hostnameOverride;
  const opts = backendOptions(cfg);
  if (values.cleanup) {
    // --cleanup removes every mode's rules, as upstream's
    for (const mode of MODES) await (await createBackend(mode, opts, cfg)).cleanup().catch((e: Error) => log(`${mode}: ${e.message}`));
    return;
  }
  const backend = await createBackend(cfg.mode, opts, cfg);
  // a mode this host can't run stops here, leaving the previous mode's rules (and traffic) in place
  await backend.check();
  await cleanupOtherModes(cfg.mode, opts, log);
  const kc = loadKubeConfig(cfg.kubeconfig);
  log(`using ${cfg.mode} mode on node ${cfg.hostnameOverride ?? '(unset)'}`);
  const proxy = new Proxy(cfg, kc, backend, opts, log);
  await proxy.start();
  // kubelet gives a terminating pod a grace period; leave well inside it even if a watch hangs
  const stop = () => { setTimeout(() => process.exit(0), 500).unref(); void proxy.stop().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: Error) => { log(`fatal: ${e.message}`); process.exit(1); });
