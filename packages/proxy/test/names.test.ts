import { describe, expect, it } from 'vitest';
import { endpointChain, externalChain, serviceChain } from '../src/iptables/names.js';

describe('iptables chain names', () => {
  it('match upstream kube-proxy golden tests (sha256 + base32, 16 chars)', () => {
    expect(serviceChain('ns1/svc1:p80', 'TCP')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(externalChain('ns2/svc2:p80', 'TCP')).toBe('KUBE-EXT-GNZBNJ2PO5MGZ6GT');
  });

  it('give the kubernetes Service the chain every real cluster shows', () => {
    expect(serviceChain('default/kubernetes:https', 'TCP')).toBe('KUBE-SVC-NPX46M4PTMTKRN6Y');
  });
});

describe('the chain names in tutorial 004', () => {
  it('come out of the same hash: older kube-proxy named an unnamed port "uit/svc-np-ublog:"', () => {
    // tutorial 004's iptables-save: KUBE-SVC-FQQJWIJEBH5A6SF6 → KUBE-SEP-U4JA5WF5RRIRERN5 (10.244.1.35:8002), KUBE-SEP-ME7MACTOWWVFKRBM (10.244.2.32:8002)
    expect(serviceChain('uit/svc-np-ublog:', 'TCP')).toBe('KUBE-SVC-FQQJWIJEBH5A6SF6');
    expect(endpointChain('uit/svc-np-ublog:', 'TCP', '10.244.1.35:8002')).toBe('KUBE-SEP-U4JA5WF5RRIRERN5');
    expect(endpointChain('uit/svc-np-ublog:', 'TCP', '10.244.2.32:8002')).toBe('KUBE-SEP-ME7MACTOWWVFKRBM');
  });
});
