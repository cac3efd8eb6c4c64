// A lab scenario: tutorial steps, each an action and the assertion that makes its claim checkable.
// The same scenario runs narrated (`pnpm lab <name>`) and under vitest.
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Requirement } from './doctor/checks.js';

export class AssertionFailed extends Error {}

export interface Narrator {
  /** a tutorial command, shown as the tutorial shows it (`# kubectl …`) */
  command(text: string): void;
  /** real output, shown as is */
  output(text: string): void;
  /** a passed assertion */
  ok(text: string): void;
  /** explanation between commands */
  say(text: string): void;
}

export interface ClusterInfo {
  name: string;
  /** which driver made it: the embedded cluster installs its own add-ons, others need them installed */
  driver: 'embedded' | 'kind' | 'kubeconfig';
  kubeconfigPath: string;
  nodes: Array<{ name: string; ip: string }>;
  /** runs a shell command on the lab's client host: a machine outside the nodes that reaches their IPs */
  onClientHost(script: string): Promise<{ stdout: string; exitCode: number }>;
  /** runs a shell command on a node, as `docker exec <node>` would on kind (the chain walks read iptables there) */
  onNode(node: string, script: string): Promise<{ stdout: string; exitCode: number }>;
}

export class LabContext {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  /** values steps hand to later steps */
  readonly facts = new Map<string, unknown>();

  constructor(readonly kc: KubeConfig, readonly cluster: ClusterInfo, readonly narrate: Narrator, readonly namespace = 'default') {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
  }

  check(condition: boolean, claim: string, detail?: string): void {
    if (!condition) throw new AssertionFailed(detail ? `${claim}\n  ${detail}` : claim);
    this.narrate.ok(claim);
  }
}

export interface Step { title: string; run(ctx: LabContext): Promise<void> }

export interface Scenario {
  name: string;
  title: string;
  tutorial: string;
  /** what the lab itself runs on this machine (curl from the client host, kubectl, openssl); the driver adds the cluster's */
  needs: Requirement[];
  steps: Step[];
  /** removes what the scenario created, so it can run again on the same cluster */
  cleanup(ctx: LabContext): Promise<void>;
}

export interface StepResult { title: string; ok: boolean; error?: string; ms: number }

export async function runScenario(s: Scenario, ctx: LabContext): Promise<StepResult[]> {
  const results: StepResult[] = [];
  try {
    for (const step of s.steps) {
      const t0 = Date.now();
      ctx.narrate.say(`\n== ${step.title}`);
      try {
        await step.run(ctx);
        results.push({ title: step.title, ok: true, ms: Date.now() - t0 });
      } catch (e) {
        const failed = e instanceof AssertionFailed;
        results.push({ title: step.title, ok: false, ms: Date.now() - t0, error: `${failed ? 'assertion failed' : 'error'}: ${(e as Error).message}` });
        break;
      }
    }
  } finally {
    await s.cleanup(ctx).catch(() => undefined);
  }
  return results;
}
