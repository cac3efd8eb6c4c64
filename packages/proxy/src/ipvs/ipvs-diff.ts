// What to change in the kernel's IPVS table to reach the desired one, as `ipvsadm -R` lines and in
// upstream's order: syncService/syncEndpoint add or edit each virtual server and its real servers
// (new ones before stale ones go, so a Service never has none in between); cleanLegacyService then
// deletes the virtual servers no Service wants, after iptables is in place.
import { realServerRule, serviceArgs, serviceRule } from './ipvsadm-format.js';
import { ipvsadmOrder } from './ipvsadm-sort.js';
import { vsKey, type RealServer, type VirtualServer } from './model.js';

export interface IpvsChanges {
  /** -A/-E of virtual servers, -a/-e/-d of their real servers */
  upserts: string[];
  /** -D of virtual servers no Service wants */
  deletions: string[];
}

const rsKey = (rs: RealServer) => `${rs.address}:${rs.port}`;

export function diffIpvs(current: readonly VirtualServer[], desired: readonly VirtualServer[]): IpvsChanges {
  const have = new Map(current.map((vs) => [vsKey(vs), vs]));
  const want = new Set(desired.map(vsKey));
  const upserts: string[] = [];
  for (const vs of ipvsadmOrder(desired)) {
    const cur = have.get(vsKey(vs));
    if (!cur) {
      upserts.push(serviceRule('-A', vs), ...vs.realServers.map((rs) => realServerRule('-a', vs, rs)));
      continue;
    }
    // upstream's VirtualServer.Equal: scheduler, flags and timeout (-E rewrites all three)
    if (cur.scheduler !== vs.scheduler || cur.flags !== vs.flags || cur.timeout !== vs.timeout) upserts.push(serviceRule('-E', vs));
    const curRs = new Map(cur.realServers.map((rs) => [rsKey(rs), rs]));
    for (const rs of vs.realServers) {
      const old = curRs.get(rsKey(rs));
      if (!old) upserts.push(realServerRule('-a', vs, rs));
      // a weight left at 0 (graceful termination by an earlier kube-proxy) or another forwarding method is put right
      else if (old.weight !== rs.weight || old.forward !== rs.forward) upserts.push(realServerRule('-e', vs, rs));
    }
    const wanted = new Set(vs.realServers.map(rsKey));
    for (const rs of ipvsadmOrder([cur])[0]!.realServers) {
      if (!wanted.has(rsKey(rs))) upserts.push(`-d ${serviceArgs(vs)} -r ${rsKey(rs)}`);
    }
  }
  const deletions = ipvsadmOrder(current).filter((vs) => !want.has(vsKey(vs))).map((vs) => `-D ${serviceArgs(vs)}`);
  return { upserts, deletions };
}
