// CoreDNS's prometheus plugin on :9153, for the series a cluster DNS dashboard reads first:
// coredns_dns_requests_total{server,zone,view,proto,family,type} and
// coredns_dns_responses_total{server,zone,view,rcode,plugin}.
import { RCODE, TYPE } from './wire.js';

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));
const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

export class DnsMetrics {
  private readonly requests = new Map<string, number>();
  private readonly responses = new Map<string, number>();

  observe(proto: 'udp' | 'tcp', type: number | undefined, rcode: number): void {
    // CoreDNS counts the types it knows by name and the rest as "other"
    const t = type === undefined ? 'other' : TYPE_NAMES.get(type) ?? 'other';
    const req = `server="dns://:53",zone=".",view="",proto="${proto}",family="1",type="${t}"`;
    this.requests.set(req, (this.requests.get(req) ?? 0) + 1);
    const res = `server="dns://:53",zone=".",view="",rcode="${RCODE_NAMES.get(rcode) ?? String(rcode)}",plugin="${rcode === RCODE.SERVFAIL ? '' : 'kubernetes'}"`;
    this.responses.set(res, (this.responses.get(res) ?? 0) + 1);
  }

  text(): string {
    const lines = ['# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.', '# TYPE coredns_dns_requests_total counter'];
    for (const [k, v] of [...this.requests].sort()) lines.push(`coredns_dns_requests_total{${k}} ${v}`);
    lines.push('# HELP coredns_dns_responses_total Counter of response status codes.', '# TYPE coredns_dns_responses_total counter');
    for (const [k, v] of [...this.responses].sort()) lines.push(`coredns_dns_responses_total{${k}} ${v}`);
    return lines.join('\n') + '\n';
  }
}
