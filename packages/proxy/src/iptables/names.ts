// Upstream's chain names: "KUBE-SVC-" + base32(sha256(servicePortName + protocol))[:16], and for an
// endpoint the same over servicePortName + protocol + "ip:port" (pkg/proxy/iptables/proxier.go).
import { createHash } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Every sync names every chain again, and SHA-256 was a third of a 5k-Service render: remember the
 * names (bounded, so churned Services don't pile up; a reset only costs the hashes again).
 */
const memo = new Map<string, string>();
const MEMO_LIMIT = 500_000;
function hash16(s: string): string {
  let h = memo.get(s);
  if (h === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    h = base32(createHash('sha256').update(s).digest()).slice(0, 16);
    memo.set(s, h);
  }
  return h;
}

export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol.toLowerCase());
}

export const serviceChain = (spn: string, proto: string) => `KUBE-SVC-${portProtoHash(spn, proto)}`;
export const endpointChain = (spn: string, proto: string, endpoint: string) => `KUBE-SEP-${hash16(spn + proto.toLowerCase() + endpoint)}`;
export const externalChain = (spn: string, proto: string) => `KUBE-EXT-${portProtoHash(spn, proto)}`;
export const localChain = (spn: string, proto: string) => `KUBE-SVL-${portProtoHash(spn, proto)}`;
export const firewallChain = (spn: string, proto: string) => `KUBE-FW-${portProtoHash(spn, proto)}`;
