// Can this host run the ipvs mode? Upstream's CanUseIPVSProxier checks the ipset version and that a
// dummy virtual server with the configured scheduler can be added; we first look for IP_VS itself
// (/proc/net/ip_vs, after `modprobe -- ip_vs`), read the kernel's build config when it has one, and
// need the two programs this driver runs, so the error names everything that is missing at once.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { runOk, type IpvsRunner } from './runner.js';
import { resolveScheduler, schedulerModule } from './scheduler.js';

/** upstream's MinIPSetCheckVersion */
const MIN_IPSET = [6, 0];
/** upstream's probe address (TEST-NET-2, reserved for documentation) and port */
const PROBE_SERVICE = '198.51.100.0:20000';

export const ALTERNATIVE_MODES = 'To do without IPVS, set mode: "iptables" (or mode: "nftables") in the kube-proxy ConfigMap '
  + '(kubectl -n kube-system edit configmap kube-proxy) and restart kube-proxy (kubectl -n kube-system delete pod -l k8s-app=kube-proxy).';

/** the kernel's build options from /proc/config.gz (CONFIG_IKCONFIG_PROC), or undefined */
export async function readKernelConfig(path = '/proc/config.gz'): Promise<Map<string, string> | undefined> {
  try {
    const text = gunzipSync(await readFile(path)).toString();
    return new Map([...text.matchAll(/^(CONFIG_\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
  } catch {
    return undefined;
  }
}

export const hasProcIpvs = async (runner: IpvsRunner) => (await runner.run('cat', ['/proc/net/ip_vs'])).code === 0;

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';

/** the modules upstream's README asks for, plus the configured scheduler's */
export function requiredModules(scheduler: string): string[] {
  return [...new Set(['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', schedulerModule(scheduler), 'nf_conntrack'])];
}

export async function checkIpvs(runner: IpvsRunner, configuredScheduler: string, kernelConfig?: Map<string, string>): Promise<void> {
  let scheduler: string;
  try { scheduler = resolveScheduler(configuredScheduler); } catch (e) { throw new Error(`can't use the IPVS proxier: ${(e as Error).message}`); }
  const config = kernelConfig ?? await readKernelConfig();
  const modules = requiredModules(scheduler);
  const problems: string[] = [];
  const [hasModprobe, hasIpset, hasIpvsadm] = await Promise.all(['modprobe', 'ipset', 'ipvsadm'].map((p) => runner.has(p)));

  let ipvs = await hasProcIpvs(runner);
  let tried = '';
  if (!ipvs && hasModprobe) {
    const r = await runner.run('modprobe', ['--', 'ip_vs']);
    ipvs = await hasProcIpvs(runner);
    tried = `, and \`modprobe -- ip_vs\` ${r.code ? `failed (${firstLine(r.stderr)})` : 'did not add it'}`;
  } else if (!ipvs) {
    tried = ', and modprobe is not installed (Debian package kmod) to load it';
  }
  if (!ipvs) {
    const configOption = (m: string) => `CONFIG_${m.toUpperCase()}`;
    let built = '';
    if (config && !config.has('CONFIG_IP_VS')) {
      built = config.get('CONFIG_MODULES') === 'y'
        ? '; /proc/config.gz shows it was built without IP_VS (# CONFIG_IP_VS is not set)'
        : '; /proc/config.gz shows it was built without IP_VS (# CONFIG_IP_VS is not set) and without loadable modules (# CONFIG_MODULES is not set), so no modprobe can add it';
    }
    problems.push(`the kernel has no IP Virtual Server support (IP_VS): /proc/net/ip_vs does not exist${tried}${built}. `
      + `kube-proxy's ipvs mode needs a kernel with ${modules.map(configOption).join(', ')} and the modules ${modules.join(', ')} `
      + `built in or loaded: \`modprobe -a ${modules.join(' ')}\` (one \`modprobe -- <module>\` each works too)`);
  } else if (hasModprobe) {
    // the kernel loads a scheduler's module on demand too; loading it now only makes failures clearer
    await runner.run('modprobe', ['--', schedulerModule(scheduler)]);
  }
  if (config && !config.has('CONFIG_DUMMY')) {
    problems.push('the kernel has no dummy network devices (# CONFIG_DUMMY is not set), and the Service addresses are bound to one, kube-ipvs0');
  }

  if (!hasIpset) problems.push('ipset is not installed (Debian package ipset)');
  else {
    const r = await runner.run('ipset', ['--version']);
    const v = /v(\d+)\.(\d+)/.exec(r.stdout + r.stderr);
    if (!v) problems.push(`error getting ipset version: ${firstLine(r.stderr || r.stdout)}`);
    else if (Number(v[1]) < MIN_IPSET[0]! || (Number(v[1]) === MIN_IPSET[0] && Number(v[2]) < MIN_IPSET[1]!)) {
      problems.push(`ipset version ${v[1]}.${v[2]} is less than min required version ${MIN_IPSET.join('.')}`);
    }
  }
  if (!hasIpvsadm) problems.push('ipvsadm is not installed (Debian package ipvsadm): svclab\'s kube-proxy programs IPVS with it, where upstream speaks netlink');

  if (ipvs && hasIpvsadm) {
    const problem = await probeScheduler(runner, scheduler);
    if (problem) problems.push(problem);
  }
  if (problems.length) throw new Error(`can't use the IPVS proxier: ${problems.join('; ')}. ${ALTERNATIVE_MODES}`);
}

/** upstream: done if a virtual server already uses the scheduler, else add and delete a dummy one */
async function probeScheduler(runner: IpvsRunner, scheduler: string): Promise<string | undefined> {
  const saved = await runOk(runner, 'ipvsadm', ['-Sn']).catch((e: Error) => e);
  if (saved instanceof Error) return `ipvsadm cannot read the IPVS table: ${saved.message}`;
  if (new RegExp(` -s ${scheduler}( |$)`, 'm').test(saved)) return undefined;
  const add = await runner.run('ipvsadm', ['-A', '-t', PROBE_SERVICE, '-s', scheduler]);
  if (add.code !== 0 || add.stderr.trim()) {
    return `the IPVS scheduler "${scheduler}" does not work here (ipvsadm -A -t ${PROBE_SERVICE} -s ${scheduler}: ${firstLine(add.stderr)}); `
      + `it lives in the module ${schedulerModule(scheduler)} (\`modprobe -- ${schedulerModule(scheduler)}\`)`;
  }
  await runOk(runner, 'ipvsadm', ['-D', '-t', PROBE_SERVICE]);
  return undefined;
}
