// A pod sandbox: its own network namespace (or the node's, for hostNetwork) joined to the node by a
// veth (kindnet-style point-to-point routing), and a pause process holding the pod's own UTS and mount
// namespaces, so `hostname` is the pod name and volume mounts are seen by this pod only.
import { execa, type ResultPromise } from 'execa';
import type { NodeNet } from '../network/fabric.js';
import { addNetns, deleteNetns, ipBatch, NETNS_DIR } from '../network/ip.js';

export interface Mount { source: string; target: string; readOnly: boolean }

export interface SandboxSpec {
  cluster: string;
  node: NodeNet;
  uid: string;
  hostname: string;
  hostNetwork: boolean;
  /** pod IP (ignored for hostNetwork) */
  ip: string;
  mounts: Mount[];
}

export interface Sandbox {
  netns: string;
  ip: string;
  pausePid: number;
  stop(): Promise<void>;
}

const PAUSE = `hostname "$1"; shift
while [ $# -gt 0 ]; do
  mount --bind "$1" "$2" || exit 1
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$2" || exit 1; fi
  shift 3
done
echo ready
exec sleep infinity`;

export async function createSandbox(spec: SandboxSpec): Promise<Sandbox> {
  const short = spec.uid.replace(/-/g, '').slice(0, 10);
  const netns = spec.hostNetwork ? spec.node.name : `${spec.cluster}-pod-${short}`;
  const ip = spec.hostNetwork ? spec.node.ip : spec.ip;
  if (!spec.hostNetwork) {
    const hostVeth = `veth${short.slice(0, 8)}`;
    await addNetns(netns);
    await ipBatch(spec.node.name, [`link add ${hostVeth} type veth peer name eth0 netns ${netns}`, `link set ${hostVeth} up`]);
    await ipBatch(netns, ['link set lo up', 'link set eth0 up', `addr add ${ip}/32 dev eth0`,
      `route add ${spec.node.gateway} dev eth0 scope link`, `route add default via ${spec.node.gateway} dev eth0`]);
    await ipBatch(spec.node.name, [`addr add ${spec.node.gateway}/32 dev ${hostVeth}`, `route add ${ip}/32 dev ${hostVeth}`]);
  }
  const mountArgs = spec.mounts.flatMap((m) => [m.source, m.target, m.readOnly ? 'ro' : 'rw']);
  const pause: ResultPromise = execa('nsenter', [`--net=${NETNS_DIR}/${netns}`, '--', 'unshare', '--uts', '--mount', '--propagation', 'private',
    '--', '/bin/sh', '-c', PAUSE, 'pause', spec.hostname, ...mountArgs], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', reject: false });
  const started = await new Promise<boolean>((resolve) => {
    pause.stdout!.once('data', () => resolve(true));
    void pause.then(() => resolve(false));
  });
  if (!started) {
    const r = await pause;
    if (!spec.hostNetwork) await deleteNetns(netns);
    throw new Error(`pod sandbox failed to start: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
  }
  return {
    netns, ip, pausePid: pause.pid!,
    async stop() {
      pause.kill('SIGKILL');
      await pause;
      if (!spec.hostNetwork) await deleteNetns(netns);
    },
  };
}
