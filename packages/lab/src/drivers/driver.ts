// A driver gives a lab a cluster: the embedded one (default), kind, or any cluster from a kubeconfig.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Requirement } from '../doctor/checks.js';
import type { ClusterInfo } from '../scenario.js';

export interface LabCluster {
  kc: KubeConfig;
  info: ClusterInfo;
  /** stops the cluster if the driver started it for this run; a no-op for one that was already up */
  release(): Promise<void>;
}

export interface Driver {
  name: string;
  /** what this machine needs for the driver to give a cluster (a lab adds its own needs) */
  needs: Requirement[];
  acquire(log: (step: string) => void): Promise<LabCluster>;
}
