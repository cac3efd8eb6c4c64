export * from './config.js';
export * from './service-ports.js';
export * from './iptables/names.js';
export * from './iptables/rules.js';
export * from './iptables/proxier.js';
export * from './proxy.js';
