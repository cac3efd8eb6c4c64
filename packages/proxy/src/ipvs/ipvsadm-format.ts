// IPVS state as ipvsadm 1.31 prints it (ipvsadm.c list_all / print_service_entry), checked against
// the real binary: `ipvsadm -Ln` for people and golden files, and `ipvsadm -Sn`, which is also what
// `ipvsadm -R` reads, for the sync driver.
import { ipvsadmOrder } from './ipvsadm-sort.js';
import { FLAG_PERSISTENT, FLAG_SCHED1, FLAG_SCHED2, FLAG_SCHED3, type Forward, type Protocol, type RealServer, type VirtualServer } from './model.js';

/** what ipvsadm prints above the services; the kernel's IP_VS_VERSION_CODE and default table size */
const HEADER = [
  'IP Virtual Server version 1.2.1 (size=4096)',
  'Prot LocalAddress:Port Scheduler Flags',
  '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
];

const PROTOCOL_OPTION: Record<Protocol, string> = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' };
const FORWARD_OPTION: Record<Forward, string> = { Masq: '-m', Tunnel: '-i', Route: '-g', Local: '-g' };

/** print_sched_flags: the scheduler-specific names of IP_VS_SVC_F_SCHED1..3 */
function schedFlagNames(scheduler: string, flags: number): string[] {
  const [f1, f2] = scheduler === 'sh' || scheduler === 'mh' ? [`${scheduler}-fallback`, `${scheduler}-port`] : ['flag-1', 'flag-2'];
  return ([[FLAG_SCHED1, f1], [FLAG_SCHED2, f2], [FLAG_SCHED3, 'flag-3']] as const).filter(([bit]) => flags & bit).map(([, name]) => name);
}

/** "-b sh-fallback,sh-port" back to bits */
function schedFlagBits(scheduler: string, names: string): number {
  const all = schedFlagNames(scheduler, FLAG_SCHED1 | FLAG_SCHED2 | FLAG_SCHED3);
  return names.split(',').reduce((bits, name) => {
    const i = all.indexOf(name);
    if (i < 0) throw new Error(`unknown IPVS scheduler flag "${name}" for scheduler ${scheduler}`);
    return bits | [FLAG_SCHED1, FLAG_SCHED2, FLAG_SCHED3][i]!;
  }, 0);
}

const padEnd = (v: string | number, n: number) => String(v).padEnd(n);

/** `ipvsadm -Ln` */
export function renderIpvsadmList(vss: readonly VirtualServer[]): string {
  const lines = [...HEADER];
  for (const vs of ipvsadmOrder(vss)) {
    // "%-4s %s" cut at 33 characters (IPv4), then " %s" and the flags
    let line = `${padEnd(vs.protocol, 4)} ${vs.address}:${vs.port}`.slice(0, 33) + ` ${vs.scheduler}`;
    const names = schedFlagNames(vs.scheduler, vs.flags);
    if (names.length) line += ` (${names.join(',')})`;
    if (vs.flags & FLAG_PERSISTENT) line += ` persistent ${vs.timeout}`;
    lines.push(line);
    // "  -> %-28s %-7s %-6d %-10u %-10u": the padding leaves trailing spaces, as ipvsadm does
    for (const rs of vs.realServers) {
      lines.push(`  -> ${padEnd(`${rs.address}:${rs.port}`.slice(0, 28), 28)} ${padEnd(rs.forward, 7)} ${padEnd(rs.weight, 6)} ${padEnd(rs.activeConn ?? 0, 10)} ${padEnd(rs.inActConn ?? 0, 10)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export const serviceArgs = (vs: Pick<VirtualServer, 'protocol' | 'address' | 'port'>) => `${PROTOCOL_OPTION[vs.protocol]} ${vs.address}:${vs.port}`;

/** the -A/-E line: "-s sched", then " -p timeout", then " -b flags" (no -M: the netmask is always /32) */
export function serviceRule(cmd: '-A' | '-E', vs: VirtualServer): string {
  const names = schedFlagNames(vs.scheduler, vs.flags);
  return `${cmd} ${serviceArgs(vs)} -s ${vs.scheduler}${vs.flags & FLAG_PERSISTENT ? ` -p ${vs.timeout}` : ''}${names.length ? ` -b ${names.join(',')}` : ''}`;
}

export const realServerRule = (cmd: '-a' | '-e', vs: VirtualServer, rs: RealServer) =>
  `${cmd} ${serviceArgs(vs)} -r ${rs.address}:${rs.port} ${FORWARD_OPTION[rs.forward]} -w ${rs.weight}`;

/** `ipvsadm -Sn`, which is also `ipvsadm -R` (and ipvsadm-restore) input */
export function renderIpvsadmRules(vss: readonly VirtualServer[]): string {
  return ipvsadmOrder(vss).flatMap((vs) => [serviceRule('-A', vs), ...vs.realServers.map((rs) => realServerRule('-a', vs, rs))]).join('\n') + (vss.length ? '\n' : '');
}

/** reads `ipvsadm -Sn` back; fwmark services (-f), which kube-proxy never makes, are skipped */
export function parseIpvsadmRules(text: string): VirtualServer[] {
  const services = new Map<string, VirtualServer>();
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    const cmd = tokens[0];
    if (cmd !== '-A' && cmd !== '-a') continue;
    const opts = options(tokens.slice(1));
    const protocol = (['TCP', 'UDP', 'SCTP'] as const).find((p) => opts.has(PROTOCOL_OPTION[p]));
    if (!protocol) continue;
    const svc = opts.get(PROTOCOL_OPTION[protocol])!;
    const [address, port] = splitHostPort(svc);
    if (cmd === '-A') {
      const scheduler = opts.get('-s') ?? 'wlc';
      const timeout = opts.has('-p') ? Number(opts.get('-p')) : 0;
      const flags = (opts.has('-p') ? FLAG_PERSISTENT : 0) | (opts.has('-b') ? schedFlagBits(scheduler, opts.get('-b')!) : 0);
      services.set(svc + protocol, { protocol, address, port, scheduler, flags, timeout, realServers: [] });
    } else {
      const [rsAddress, rsPort] = splitHostPort(opts.get('-r')!);
      const forward: Forward = opts.has('-i') ? 'Tunnel' : opts.has('-g') ? 'Route' : 'Masq';
      services.get(svc + protocol)?.realServers.push({ address: rsAddress, port: rsPort, weight: Number(opts.get('-w') ?? 1), forward });
    }
  }
  return [...services.values()];
}

/** "-t a:p -s rr -m" → {-t: a:p, -s: rr, -m: ""} */
function options(tokens: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (next !== undefined && !next.startsWith('-')) { out.set(t, next); i++; } else out.set(t, '');
  }
  return out;
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}
