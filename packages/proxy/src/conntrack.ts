// UDP has no connection to close, so conntrack keeps sending a client's datagrams to a DNAT target
// that is gone (or to nowhere, for a Service that had no endpoints). After a successful sync,
// upstream deletes those entries (pkg/proxy/conntrack/cleanup.go); this is the same diff, run
// through the conntrack tool. Best effort: "0 flow entries" is not an error.
import { execa } from 'execa';
import { usable, type ServicePort } from './service-ports.js';

/** conntrack -D argument lists for the UDP flows made stale by going from `prev` to `next` */
export function staleUdpFlows(prev: readonly ServicePort[], next: readonly ServicePort[]): string[][] {
  const before = new Map(prev.filter((p) => p.protocol === 'UDP').map((p) => [p.name, p]));
  const after = new Map(next.filter((p) => p.protocol === 'UDP').map((p) => [p.name, p]));
  const out: string[][] = [];
  const vips = (p: ServicePort) => [p.clusterIP, ...p.externalIPs, ...p.loadBalancerIPs];
  for (const [name, now] of after) {
    const was = before.get(name);
    const nowEps = new Set(usable(now.endpoints).map((e) => e.ip));
    const wasEps = was ? usable(was.endpoints).map((e) => e.ip) : [];
    if (wasEps.length === 0 && nowEps.size > 0) {
      // flows created while there were no endpoints hold a REJECT/blackhole verdict: drop them all
      for (const ip of vips(now)) out.push(['-D', '--orig-dst', ip, '-p', 'udp']);
      if (now.nodePort) out.push(['-D', '-p', 'udp', '--dport', String(now.nodePort)]);
    }
    for (const ep of wasEps.filter((ip) => !nowEps.has(ip))) {
      for (const ip of vips(now)) out.push(['-D', '--orig-dst', ip, '--dst-nat', ep, '-p', 'udp']);
      if (now.nodePort) out.push(['-D', '-p', 'udp', '--dport', String(now.nodePort), '--dst-nat', ep]);
    }
  }
  for (const [name, was] of before) {
    if (after.has(name)) continue;
    for (const ip of vips(was)) out.push(['-D', '--orig-dst', ip, '-p', 'udp']);
  }
  return out;
}

export async function deleteFlows(flows: string[][], log: (m: string) => void): Promise<void> {
  for (const args of flows) {
    const r = await execa('conntrack', args, { reject: false });
    // exit 1 with "0 flow entries have been deleted" just means there was nothing to clean
    if (r.exitCode !== 0 && !/0 flow entries/.test(r.stderr)) log(`conntrack ${args.join(' ')}: ${r.stderr.trim() || r.shortMessage}`);
  }
}
