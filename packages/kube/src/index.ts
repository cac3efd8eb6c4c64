export * from './informer.js';
export * from './kubeconfig.js';
export * from './workqueue.js';
export * from './resolve.js';
export * from './duration.js';
export * from './canonical.js';
export * from './child-lines.js';
