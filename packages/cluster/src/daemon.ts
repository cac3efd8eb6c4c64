// The process that hosts a running cluster for `lab up` (and for labs run without one): it starts
// the cluster, tells its parent over IPC, and on SIGTERM / SIGINT stops it cleanly.
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';

const { values } = parseArgs({ options: { name: { type: 'string', default: 'svclab' }, workers: { type: 'string', default: '2' }, 'proxy-mode': { type: 'string', default: 'iptables' }, addons: { type: 'string', default: '' } } });
const tell = (m: unknown) => { if (process.send) process.send(m); };
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);

try {
  const cluster = await startCluster({ name: values.name!, workers: Number(values.workers), proxyMode: values['proxy-mode'], addons: values.addons!.split(',').filter(Boolean), log: (m) => { log(m); tell({ step: m }); } });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // SIGUSR2: restart the apiserver (3 s away), for reliability tests of its clients
  process.on('SIGUSR2', () => { log('apiserver restarting'); void cluster.restartApiserver(3000).then(() => log('apiserver back')); });
  tell({ ready: { kubeconfig: cluster.kubeconfigPath, apiserver: cluster.apiserver } });
  if (process.connected) process.disconnect();
} catch (e) {
  log(`failed: ${(e as Error).stack}`);
  tell({ error: (e as Error).message });
  process.exit(1);
}
