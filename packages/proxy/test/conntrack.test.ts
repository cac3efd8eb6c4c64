import { describe, expect, it } from 'vitest';
import { staleUdpFlows } from '../src/conntrack.js';
import type { ServicePort } from '../src/service-ports.js';

const udp = (eps: string[], extra: Partial<ServicePort> = {}): ServicePort => ({
  name: 'kube-system/kube-dns:dns', namespace: 'kube-system', service: 'kube-dns', portName: 'dns', protocol: 'UDP', clusterIP: '10.96.0.10', port: 53, nodePort: 0,
  externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], affinitySeconds: 0, externalLocal: false, internalLocal: false, healthCheckNodePort: 0,
  endpoints: eps.map((ip) => ({ ip, port: 53, ready: true, serving: true, terminating: false })), ...extra,
});

describe('UDP conntrack cleanup, as upstream', () => {
  it('deletes the flows DNATed to an endpoint that went away, on every VIP and the NodePort', () => {
    expect(staleUdpFlows([udp(['10.244.1.2', '10.244.2.2'], { nodePort: 30053, externalIPs: ['172.18.0.3'] })], [udp(['10.244.2.2'], { nodePort: 30053, externalIPs: ['172.18.0.3'] })])).toEqual([
      ['-D', '--orig-dst', '10.96.0.10', '--dst-nat', '10.244.1.2', '-p', 'udp'],
      ['-D', '--orig-dst', '172.18.0.3', '--dst-nat', '10.244.1.2', '-p', 'udp'],
      ['-D', '-p', 'udp', '--dport', '30053', '--dst-nat', '10.244.1.2'],
    ]);
  });
  it('deletes every flow to a Service that goes from no endpoints to some (they hold the old verdict)', () => {
    expect(staleUdpFlows([udp([])], [udp(['10.244.1.2'])])).toEqual([['-D', '--orig-dst', '10.96.0.10', '-p', 'udp']]);
  });
  it('deletes the flows of a deleted UDP Service, and leaves TCP alone', () => {
    expect(staleUdpFlows([udp(['10.244.1.2'])], [])).toEqual([['-D', '--orig-dst', '10.96.0.10', '-p', 'udp']]);
    expect(staleUdpFlows([udp(['10.244.1.2'], { protocol: 'TCP' })], [])).toEqual([]);
    expect(staleUdpFlows([udp(['10.244.1.2'])], [udp(['10.244.1.2'])])).toEqual([]);
  });
});
