// `pnpm lab …`: up / down / status / kubeconfig / doctor / list, or a scenario by name.
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { cleanupCluster, DEFAULT_CLUSTER, kubeconfigPath } from '@svclab/cluster';
import { loadKubeConfig } from '@svclab/kube';
import { doctor } from './doctor/doctor.js';
import { embeddedDriver, kindDriver, kubeconfigDriver, runningCluster, up } from './drivers/embedded.js';
import { labNames } from './labs.js';
import { consoleNarrator } from './narrator.js';
import { runLab } from './run-lab.js';
import { age, table } from './table.js';

const USAGE = `usage: pnpm lab <command|scenario> [--name <cluster>]
  up                 start the embedded cluster and keep it running (--proxy-mode iptables, --addons ingress-nginx)
  down               stop it and remove everything it created
  status             is it up, its nodes and the kubeconfig path
  kubeconfig         print the kubeconfig path (pnpm --silent lab kubeconfig)
  doctor [--fix]     check host prerequisites (--fix installs missing Debian packages)
  list               the labs
  <scenario>         run a lab (${labNames().join(', ')}); --driver embedded|kind, --kubeconfig <path>`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string', default: DEFAULT_CLUSTER }, fix: { type: 'boolean' }, 'proxy-mode': { type: 'string' }, addons: { type: 'string' },
      driver: { type: 'string', default: 'embedded' }, kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd] = positionals;
  const name = values.name!;
  const say = (s: string) => process.stdout.write(s + '\n');
  switch (cmd) {
    case undefined: case 'help': say(USAGE); return values.help || cmd === 'help' ? 0 : 1;
    case 'doctor': return (await doctor(!!values.fix, say)) ? 0 : 1;
    case 'list': say(labNames().join('\n')); return 0;
    case 'up': {
      const t0 = Date.now();
      say(`Creating cluster "${name}" ...`);
      const r = await up(name, { proxyMode: values['proxy-mode'], addons: values.addons?.split(',').filter(Boolean), log: (s) => say(` • ${s}`) });
      say(` • Ready after ${((Date.now() - t0) / 1000).toFixed(1)}s\nkubeconfig: ${r.kubeconfig}\nYou can now use your cluster with:\n\nkubectl --kubeconfig "$(pnpm --silent lab kubeconfig)" get nodes`);
      return 0;
    }
    case 'down': {
      say(`Deleting cluster "${name}" ...`);
      const removed = await cleanupCluster(name);
      say(removed.length ? removed.map((r) => ` • removed ${r}`).join('\n') : ' • nothing to remove');
      return 0;
    }
    case 'status': {
      const s = runningCluster(name);
      if (!s) { say(`cluster "${name}" is not running (pnpm lab up starts it)`); return 1; }
      const nodes = (await loadKubeConfig(s.kubeconfig).makeApiClient(CoreV1Api).listNode()).items;
      say(`cluster "${name}" is up (pid ${s.pid}, apiserver ${s.apiserver})\nkubeconfig: ${s.kubeconfig}\n`);
      say(table(['NAME', 'STATUS', 'ROLES', 'AGE', 'INTERNAL-IP'], nodes.map((n) => [
        n.metadata!.name!, n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady',
        'node-role.kubernetes.io/control-plane' in (n.metadata!.labels ?? {}) ? 'control-plane' : '<none>',
        age(n.metadata!.creationTimestamp), n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
      ])));
      return 0;
    }
    case 'kubeconfig': {
      if (!runningCluster(name)) { process.stderr.write(`cluster "${name}" is not running; start it with: pnpm lab up\n`); return 1; }
      say(kubeconfigPath(name));
      return 0;
    }
    default: {
      const driver = values.kubeconfig ? kubeconfigDriver(values.kubeconfig)
        : values.driver === 'kind' ? kindDriver(name) : embeddedDriver(name, { proxyMode: values['proxy-mode'] });
      const run = await runLab(cmd, driver, consoleNarrator());
      say('');
      for (const r of run.results) say(`${r.ok ? ' ✓' : ' ✗'} ${r.title} (${(r.ms / 1000).toFixed(1)}s)${r.error ? `\n   ${r.error.replace(/\n/g, '\n   ')}` : ''}`);
      say(run.ok ? `\nPASS ${cmd}` : `\nFAIL ${cmd}`);
      return run.ok ? 0 : 1;
    }
  }
}

main().then((code) => process.exit(code), (e: Error) => { process.stderr.write(`error: ${e.message}\n`); process.exit(1); });
