// What every proxy mode implements, and the node facts it needs. The Proxy process builds the
// Service model (service-ports.ts) and hands each sync the whole of it; a backend programs the
// kernel (or, for userspace, its own listeners) to match.
import type { ServicePort } from './service-ports.js';

export interface BackendOptions {
  /** this node's name: endpoints on it are local (externalTrafficPolicy / internalTrafficPolicy Local) */
  nodeName?: string;
  /** this node's addresses (the Node's InternalIPs; in the embedded cluster 172.18.0.N) */
  nodeIPs: string[];
  /** nodePortAddresses CIDRs from the config; empty means every local address (see node-addresses.ts) */
  nodePortAddresses: string[];
  /** the local-traffic detector: pod traffic from this CIDR to a ClusterIP is not masqueraded */
  clusterCIDR: string;
  masqueradeBit: number;
  masqueradeAll: boolean;
  /** ipvs.scheduler ("" means rr) */
  ipvsScheduler: string;
}

export interface Backend {
  /** the KubeProxyConfiguration mode this backend implements */
  readonly mode: 'iptables' | 'ipvs' | 'nftables' | 'userspace';
  /** fails with a message naming what the host lacks (kernel module, binary) and how to get it */
  check(): Promise<void>;
  /** programs the whole desired state; `changed` names the Service ports ("ns/name:port") changed since the last successful sync, undefined for a full sync */
  sync(ports: ServicePort[], changed?: ReadonlySet<string>): Promise<void>;
  /** removes everything this mode wrote; safe to run when it never ran (kube-proxy --cleanup, mode switch) */
  cleanup(): Promise<void>;
  /**
   * whether this mode left anything of its own; a mode whose cleanup would touch state it shares with
   * another (ipvs shares KUBE-SERVICES and the jumps with iptables) answers this, and is only cleaned
   * up after a switch when it says yes
   */
  hasLeftovers?(): Promise<boolean>;
  /** whether the backend's state was removed behind its back (a flushed table), asking for a full resync */
  flushed(): Promise<boolean>;
  /** releases processes and sockets (userspace listeners); optional */
  close?(): Promise<void>;
}
