// The DNS message format (RFC 1035) as far as a cluster DNS server needs it: read a query's header
// and question, write an answer with A / AAAA / CNAME / SRV / PTR / SOA records. Names are written
// uncompressed (valid, if a little longer than compressed ones).

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, AAAA: 28, SRV: 33, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const CLASS_IN = 1;

export interface Question { name: string; type: number; class: number }
export interface Query { id: number; flags: number; question?: Question }

export type RData =
  | { type: 'A'; ip: string }
  | { type: 'CNAME' | 'PTR'; target: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };

export interface ResourceRecord { name: string; ttl: number; data: RData }

export interface Answer { rcode: number; answers: ResourceRecord[]; authority: ResourceRecord[]; additional: ResourceRecord[] }

function readName(buf: Buffer, start: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let pos = start;
  let end: number | undefined;
  for (let hops = 0; hops < 64; hops++) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos]!;
    if (len === 0) return { name: labels.join('.'), end: end ?? pos + 1 };
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return undefined;
      end ??= pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (pos + 1 + len > buf.length) return undefined;
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return undefined;
}

/** the header and first question of a query; undefined when it is too short to answer at all */
export function parseQuery(buf: Buffer): Query | undefined {
  if (buf.length < 12) return undefined;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (buf.readUInt16BE(4) < 1) return { id, flags };
  const n = readName(buf, 12);
  if (!n || n.end + 4 > buf.length) return { id, flags };
  return { id, flags, question: { name: n.name.toLowerCase(), type: buf.readUInt16BE(n.end), class: buf.readUInt16BE(n.end + 2) } };
}

function name(n: string): Buffer {
  const parts = n.replace(/\.$/, '').split('.').filter(Boolean).map((l) => { const b = Buffer.from(l, 'latin1'); return Buffer.concat([Buffer.from([b.length]), b]); });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };

function rdata(d: RData): { type: number; bytes: Buffer } {
  switch (d.type) {
    case 'A': return { type: TYPE.A, bytes: Buffer.from(d.ip.split('.').map(Number)) };
    case 'CNAME': return { type: TYPE.CNAME, bytes: name(d.target) };
    case 'PTR': return { type: TYPE.PTR, bytes: name(d.target) };
    case 'SRV': return { type: TYPE.SRV, bytes: Buffer.concat([u16(d.priority), u16(d.weight), u16(d.port), name(d.target)]) };
    case 'SOA': return { type: TYPE.SOA, bytes: Buffer.concat([name(d.mname), name(d.rname), u32(d.serial), u32(d.refresh), u32(d.retry), u32(d.expire), u32(d.minimum)]) };
  }
}

function record(r: ResourceRecord): Buffer {
  const { type, bytes } = rdata(r.data);
  return Buffer.concat([name(r.name), u16(type), u16(CLASS_IN), u32(r.ttl), u16(bytes.length), bytes]);
}

/**
 * The reply to `q`: QR set, the query's opcode and RD copied, AA (we are the zone's authority), RA;
 * its question repeated, then the sections. Past `limit` bytes (UDP without EDNS: 512) the answer
 * is cut and TC set, so the client asks again over TCP.
 */
export function encodeResponse(q: Query, a: Answer, limit = Infinity): Buffer {
  const question = q.question ? Buffer.concat([name(q.question.name), u16(q.question.type), u16(q.question.class)]) : Buffer.alloc(0);
  const sections = [a.answers, a.authority, a.additional].map((s) => s.map(record));
  const build = (tc: boolean, counts: number[], parts: Buffer[]) => {
    const flags = 0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | (tc ? 0x0200 : 0) | (a.rcode & 0xf);
    const header = Buffer.concat([u16(q.id), u16(flags), u16(q.question ? 1 : 0), ...counts.map(u16)]);
    return Buffer.concat([header, question, ...parts]);
  };
  const full = build(false, sections.map((s) => s.length), sections.flat());
  if (full.length <= limit) return full;
  // truncated: keep whole answer records that fit, nothing else
  const kept: Buffer[] = [];
  let size = 12 + question.length;
  for (const r of sections[0]!) { if (size + r.length > limit) break; kept.push(r); size += r.length; }
  return build(true, [kept.length, 0, 0], kept);
}
