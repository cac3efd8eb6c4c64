export { startCluster, SERVICE_CIDR, CLUSTER_CIDR, type RunningCluster, type ClusterOptions } from './cluster.js';
export { cleanupCluster } from './cleanup.js';
export { clusterDir, kubeconfigPath, readState, alive, stateRoot, DEFAULT_CLUSTER, validateClusterName, type ClusterState } from './state.js';
export { layout, type FabricLayout, type NodeNet } from './network/fabric.js';
export { inNetns, listNetns, netnsPids, NETNS_DIR } from './network/ip.js';
export { findImage, catalogueNames } from './images/catalogue.js';
export { bundled } from './programs/bundle.js';
export { installIngressNginx } from './addons/install-ingress.js';
export { INGRESS_NAMESPACE, INGRESS_CONTROLLER } from './addons/ingress-nginx.js';
