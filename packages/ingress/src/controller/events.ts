// Kubernetes Events on Ingresses, as ingress-nginx records them: Normal "Sync" when an Ingress is
// taken into the configuration, Warning "Rejected" (with the reason) when it is refused. Each is
// recorded once per Ingress generation, not on every sync.
import { CoreV1Api, type KubeConfig, type V1Ingress } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';

export const COMPONENT = 'nginx-ingress-controller';

export class EventRecorder {
  private readonly seen = new Map<string, string>();
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig, private readonly log: (m: string) => void) { this.core = kc.makeApiClient(CoreV1Api); }

  /** records `reason: message` for this Ingress unless the same was recorded for its current generation */
  async record(ing: V1Ingress, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const m = ing.metadata!;
    const key = `${m.uid ?? `${m.namespace}/${m.name}`}`;
    const stamp = `${m.generation ?? m.resourceVersion}|${reason}|${message}`;
    if (this.seen.get(key) === stamp) return;
    this.seen.set(key, stamp);
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: m.namespace!,
      body: {
        metadata: { name: `${m.name}.${randomBytes(8).toString('hex')}`, namespace: m.namespace },
        involvedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
        type, reason, message, count: 1, firstTimestamp: now, lastTimestamp: now,
        source: { component: COMPONENT }, reportingComponent: COMPONENT, reportingInstance: process.env.POD_NAME ?? COMPONENT,
      },
    }).catch((e: Error) => this.log(`recording event ${reason} on Ingress ${m.namespace}/${m.name}: ${e.message.split('\n')[0]}`));
  }

  /** forgets Ingresses that no longer exist */
  retain(uids: Set<string>): void {
    for (const k of this.seen.keys()) if (!uids.has(k)) this.seen.delete(k);
  }
}
