// The cluster DNS's sockets: UDP and TCP on port 53 (TCP messages are framed by a 2-byte length),
// each query answered from the zone as it stands.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { encodeResponse, parseQuery, RCODE, type Answer } from './wire.js';

export type Resolver = (name: string, type: number) => Answer;

/** what was asked and answered, for the metrics: transport, query type, response code */
export type Observer = (proto: 'udp' | 'tcp', type: number | undefined, rcode: number) => void;

const UDP_LIMIT = 512; // without EDNS0, as RFC 1035 says

export function reply(msg: Buffer, resolve: Resolver, limit: number, seen?: (type: number | undefined, rcode: number) => void): Buffer | undefined {
  const q = parseQuery(msg);
  if (!q) return undefined;
  const empty = (rcode: number): Answer => ({ rcode, answers: [], authority: [], additional: [] });
  // only standard queries (opcode 0) with one question
  const a = ((q.flags >> 11) & 0xf) !== 0 ? empty(RCODE.NOTIMP) : !q.question ? empty(RCODE.FORMERR) : resolve(q.question.name, q.question.type);
  seen?.(q.question?.type, a.rcode);
  return encodeResponse(q, a, limit);
}

export interface DnsServer { udp: UdpSocket; tcp: Server; close(): Promise<void> }

export async function serveDns(host: string, port: number, resolve: Resolver, observe?: Observer): Promise<DnsServer> {
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const out = reply(msg, resolve, UDP_LIMIT, observe && ((t, r) => observe('udp', t, r)));
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  const tcp = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const out = reply(msg, resolve, 65535, observe && ((t, r) => observe('tcp', t, r)));
        if (!out) { sock.destroy(); return; }
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.write(Buffer.concat([len, out]));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.setTimeout(10_000, () => sock.destroy());
  });
  await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(port, host, () => { udp.off('error', rej); res(); }); });
  await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(port, host, () => { tcp.off('error', rej); res(); }); });
  return {
    udp, tcp,
    close: async () => { udp.close(); await new Promise<void>((r) => tcp.close(() => r())); },
  };
}
