// Pod volumes materialised on the node: configMap and secret as files, hostPath as itself, the
// service-account token volume every pod gets at /var/run/secrets/kubernetes.io/serviceaccount,
// and the pod's /etc/resolv.conf.
import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { CLUSTER_DNS_IP } from '../addons/coredns.js';
import { DOMAIN as CLUSTER_DOMAIN } from '../dns/zone.js';
import type { Mount } from './sandbox.js';

export const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface Credentials { token: string; caCert: string }

/** Directories created on the host as mount points; recorded so cleanup can remove them. */
export type MountPointRecorder = (dir: string) => Promise<void>;

async function ensureMountPoint(target: string, record: MountPointRecorder): Promise<void> {
  const missing: string[] = [];
  for (let d = target; !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    // pods starting together may race for the same mount point; only the creator records it
    const created = await mkdir(d).then(() => true, (e: NodeJS.ErrnoException) => { if (e.code === 'EEXIST') return false; throw e; });
    if (created) await record(d);
  }
}

/** Mounts for the pod's mount namespace (shared by its containers, so the union of their volumeMounts). */
export async function podMounts(pod: V1Pod, dir: string, core: CoreV1Api, creds: Credentials, record: MountPointRecorder, privateDirs: string[] = []): Promise<Mount[]> {
  const podDir = dir;
  const ns = pod.metadata!.namespace!;
  const volumes = new Map((pod.spec!.volumes ?? []).map((v) => [v.name, v]));
  const mounts: Mount[] = [];
  const wanted = new Map(pod.spec!.containers.flatMap((c) => c.volumeMounts ?? []).map((vm) => [vm.mountPath, vm]));
  for (const vm of wanted.values()) {
    const v = volumes.get(vm.name);
    if (!v) throw new Error(`volume "${vm.name}" is not defined in the pod`);
    let source: string;
    if (v.hostPath) source = v.hostPath.path;
    else {
      source = join(dir, 'volumes', v.name);
      await mkdir(source, { recursive: true });
      const files: Record<string, string | Buffer> = {};
      if (v.configMap) Object.assign(files, (await core.readNamespacedConfigMap({ name: v.configMap.name!, namespace: ns })).data ?? {});
      if (v.secret) {
        for (const [k, b64] of Object.entries((await core.readNamespacedSecret({ name: v.secret.secretName!, namespace: ns })).data ?? {})) files[k] = Buffer.from(b64, 'base64');
      }
      for (const [k, data] of Object.entries(files)) await writeFile(join(source, k), data);
    }
    await ensureMountPoint(vm.mountPath, record);
    mounts.push({ source, target: vm.mountPath, readOnly: !!vm.readOnly });
  }
  // images' private folders: a copy per pod, seeded from the host, mounted over the original
  for (const dir of privateDirs) {
    if (mounts.some((m) => m.target === dir)) continue;
    const source = join(podDir, 'rootfs', dir);
    await mkdir(dirname(source), { recursive: true });
    await cp(dir, source, { recursive: true }).catch(() => mkdir(source, { recursive: true }));
    mounts.push({ source, target: dir, readOnly: false });
  }
  if (pod.spec!.automountServiceAccountToken !== false && !mounts.some((m) => m.target === SA_MOUNT)) {
    const source = join(dir, 'volumes', 'kube-api-access');
    await mkdir(source, { recursive: true });
    await Promise.all([
      writeFile(join(source, 'token'), creds.token), writeFile(join(source, 'ca.crt'), creds.caCert), writeFile(join(source, 'namespace'), ns),
    ]);
    await ensureMountPoint(SA_MOUNT, record);
    mounts.push({ source, target: SA_MOUNT, readOnly: true });
  }
  // the pod's DNS settings, as kubelet writes its resolv.conf (the host's own is left to hostNetwork / Default)
  const dns = resolvConf(pod);
  if (dns !== undefined) {
    const source = join(dir, 'resolv.conf');
    await writeFile(source, dns);
    mounts.push({ source, target: '/etc/resolv.conf', readOnly: false });
  }
  return mounts;
}

/**
 * kubelet's resolv.conf for a pod: ClusterFirst (not on the host network) and ClusterFirstWithHostNet
 * search the pod's namespace, svc and the cluster domain through the cluster DNS with ndots:5;
 * None takes dnsConfig alone; dnsConfig's nameservers, searches and options are added to the others.
 * undefined: the node's own (Default, or ClusterFirst on the host network).
 */
export function resolvConf(pod: V1Pod): string | undefined {
  const policy = pod.spec!.dnsPolicy ?? 'ClusterFirst';
  const cfg = pod.spec!.dnsConfig;
  const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !pod.spec!.hostNetwork);
  if (!cluster && policy !== 'None') return undefined;
  const ns = pod.metadata!.namespace ?? 'default';
  const nameservers = [...(cluster ? [CLUSTER_DNS_IP] : []), ...(cfg?.nameservers ?? [])];
  const searches = [...(cluster ? [`${ns}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN] : []), ...(cfg?.searches ?? [])];
  const options = new Map<string, string | undefined>(cluster ? [['ndots', '5']] : []);
  for (const o of cfg?.options ?? []) options.set(o.name!, o.value);
  const lines = [
    ...(searches.length ? [`search ${searches.join(' ')}`] : []),
    ...nameservers.map((n) => `nameserver ${n}`),
    ...(options.size ? [`options ${[...options].map(([k, v]) => (v === undefined ? k : `${k}:${v}`)).join(' ')}`] : []),
  ];
  return lines.join('\n') + '\n';
}
