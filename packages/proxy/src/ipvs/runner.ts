// Running the ipvs mode's tools (ip, ipset, ipvsadm, sysctl, modprobe) on the host or inside a
// network namespace (`ip netns exec <ns>`), with iptables through the iptables mode's runner in
// the same namespace. Tests swap in a fake that records the commands.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { detectVariant, iptablesRunner, type IptablesRunner } from '../iptables/runner.js';

export interface CommandResult { code: number; stdout: string; stderr: string }

export interface IpvsRunner {
  /** runs a command; a non-zero exit is a result, not an exception */
  run(cmd: string, args: string[], input?: string): Promise<CommandResult>;
  /** whether a program is installed (namespaces share the host's files) */
  has(program: string): Promise<boolean>;
  /** iptables-save / iptables-restore in the same namespace */
  iptables(): Promise<IptablesRunner>;
  /** " (netns x)" or "", for messages */
  readonly where: string;
}

/** sbin directories hold these tools but are not always on a non-root PATH */
const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];

export function ipvsRunner(netns?: string): IpvsRunner {
  let ipt: Promise<IptablesRunner> | undefined;
  return {
    where: netns ? ` (netns ${netns})` : '',
    async run(cmd, args, input) {
      const r = netns
        ? await execa('ip', ['netns', 'exec', netns, cmd, ...args], { input, reject: false })
        : await execa(cmd, args, { input, reject: false });
      // a program that could not start at all (ENOENT) has no exit code: report it like a shell would
      return { code: r.exitCode ?? 127, stdout: String(r.stdout ?? ''), stderr: String(r.stderr || (r.exitCode === undefined ? r.message : '')) };
    },
    async has(program) {
      for (const dir of SEARCH.filter(Boolean)) {
        try { await access(join(dir, program), constants.X_OK); return true; } catch { /* next */ }
      }
      return false;
    },
    iptables() {
      ipt ??= detectVariant(netns).then((variant) => iptablesRunner(variant, netns));
      return ipt;
    },
  };
}

/** stdout, or an error quoting the command and its stderr */
export async function runOk(runner: IpvsRunner, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await runner.run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}${runner.where} failed: ${(r.stderr || r.stdout).trim().slice(0, 2000)}`);
  return r.stdout;
}
