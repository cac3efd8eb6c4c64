// The order `ipvsadm -L` and `-S` list services and real servers in: libipvs's ipvs_cmp_services /
// ipvs_cmp_dests through glibc's qsort. The address comparison is `int r = ntohl(a) - ntohl(b)`,
// an unsigned difference read back as a signed int, so addresses more than 2^31 apart compare the
// other way round: that is why tutorial 000 lists 172.17.0.1 and 192.168.80.10 before 10.96.0.1.
// Such a comparator is not transitive, so the result depends on the sorting algorithm: glibc's
// qsort is a top-down merge sort (msort.c, still in Debian 12's glibc 2.36), reproduced here.
// When every address lies within 2^31 of the others (any one cluster's Service and node
// addresses in practice) the comparator is a total order and the output is what ipvsadm prints
// for any kernel order; otherwise ipvsadm's output also depends on the kernel's hash-table order,
// which mixes in a per-namespace pointer and cannot be reproduced.
import { ipv4ToInt } from '../node-addresses.js';
import type { Protocol, RealServer, VirtualServer } from './model.js';

/** IANA protocol numbers: ipvsadm lists TCP (6) before UDP (17) before SCTP (132) */
export const PROTOCOL_NUMBER: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

const wrapped = (a: number, b: number) => (a - b) | 0;

export function compareServices(a: VirtualServer, b: VirtualServer): number {
  return PROTOCOL_NUMBER[a.protocol] - PROTOCOL_NUMBER[b.protocol]
    || wrapped(ipv4ToInt(a.address), ipv4ToInt(b.address))
    || a.port - b.port;
}

export function compareDests(a: RealServer, b: RealServer): number {
  return wrapped(ipv4ToInt(a.address), ipv4ToInt(b.address)) || a.port - b.port;
}

/** glibc msort_with_tmp: halves (the first n/2 rounded down), each sorted, merged taking the left on ties */
export function glibcSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return [...items];
  const half = Math.floor(items.length / 2);
  const left = glibcSort(items.slice(0, half), cmp);
  const right = glibcSort(items.slice(half), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) out.push(cmp(left[i]!, right[j]!) <= 0 ? left[i++]! : right[j++]!);
  return [...out, ...left.slice(i), ...right.slice(j)];
}

/** services and each one's real servers in ipvsadm's listing order */
export function ipvsadmOrder(vss: readonly VirtualServer[]): VirtualServer[] {
  return glibcSort(vss, compareServices).map((vs) => ({ ...vs, realServers: glibcSort(vs.realServers, compareDests) }));
}
