// nodePortAddresses: NodePorts answer only on the local addresses inside these CIDRs (upstream's
// NodePortAddresses.GetNodeIPs); no CIDRs means every local address.
import { execa } from 'execa';

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits ?? 32);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return ((ipv4ToInt(base!) & mask) >>> 0) === ((ipv4ToInt(ip) & mask) >>> 0);
}

/** this host's IPv4 addresses (in kube-proxy's network namespace) */
export async function localIPv4Addresses(): Promise<string[]> {
  const r = await execa('ip', ['-j', '-4', 'addr', 'show']);
  const links = JSON.parse(r.stdout) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
  return links.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local));
}

/** The addresses NodePorts answer on, or undefined for "every local address". */
export async function nodePortIPs(cidrs: string[], addresses?: string[]): Promise<string[] | undefined> {
  const v4 = cidrs.filter((c) => !c.includes(':'));
  if (v4.length === 0) return undefined;
  const local = addresses ?? await localIPv4Addresses();
  return local.filter((ip) => v4.some((c) => cidrContains(c, ip)));
}
