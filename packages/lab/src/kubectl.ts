// The tutorials' own commands: the real kubectl against the lab's cluster, narrated as the tutorial
// prints them (`# kubectl …` then its output, stderr included, as a terminal would show it).
import { execa } from 'execa';
import type { LabContext } from './scenario.js';

export interface KubectlResult { stdout: string; stderr: string; exitCode: number; output: string }

export async function kubectl(ctx: LabContext, args: string[], opts: { input?: string; shown?: string } = {}): Promise<KubectlResult> {
  ctx.narrate.command(`kubectl ${opts.shown ?? args.join(' ')}`);
  const r = await execa('kubectl', ['--kubeconfig', ctx.cluster.kubeconfigPath, ...args], { input: opts.input, reject: false, all: true });
  const output = String(r.all ?? '').trimEnd();
  if (output) ctx.narrate.output(output);
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1, output };
}
