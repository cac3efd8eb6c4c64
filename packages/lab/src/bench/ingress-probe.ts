// The client side of `pnpm bench ingress`, run inside the cluster's client host namespace (outside the
// nodes, as the tutorials' laptop). It reads one JSON command per line on stdin and answers JSON lines:
//   {op:"get", url, host}                          → {status, body}                    one request
//   {op:"until", url, host, status, match?, everyMs, timeoutMs, confirm}
//                                                  → {armed:true, status, body}        the first poll (which
//                                                     must not match yet: the change has not been made)
//                                                  → {at, sentAt, polls, stale, body}  the first matching answer
// "until" polls every everyMs (a new connection per request, like curl) until an answer has the status
// and its body matches `match`; `at` is when that answer arrived, `sentAt` when its request left, both
// wall-clock ms (performance.timeOrigin + now(), comparable with the bench's own clock). Then it sends
// `confirm` more requests and counts in `stale` those that did not match (an old endpoint still answering).
import { request } from 'node:http';
import { createInterface } from 'node:readline';

interface Reply { status: number; body: string }
interface Until { op: 'until'; url: string; host: string; status: number; match?: string; everyMs: number; timeoutMs: number; confirm: number }
type Command = { op: 'get'; url: string; host: string } | Until;

const now = () => performance.timeOrigin + performance.now();
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function get(url: string, host: string): Promise<Reply> {
  return new Promise((resolve) => {
    const req = request(url, { headers: { host }, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim().slice(0, 300) }));
      res.on('error', (e) => resolve({ status: 0, body: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 2 s')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

async function until(c: Until): Promise<void> {
  const re = c.match === undefined ? undefined : new RegExp(c.match);
  const ok = (r: Reply) => r.status === c.status && (!re || re.test(r.body));
  const first = await get(c.url, c.host);
  if (ok(first)) { say({ error: `the answer already matched before the change: ${first.status} ${first.body}` }); return; }
  say({ armed: true, ...first });
  const deadline = now() + c.timeoutMs;
  let polls = 1;
  for (;;) {
    const sentAt = now();
    const r = await get(c.url, c.host);
    const at = now();
    polls++;
    if (ok(r)) {
      let stale = 0;
      for (let i = 0; i < c.confirm; i++) if (!ok(await get(c.url, c.host))) stale++;
      say({ at, sentAt, polls, stale, body: r.body });
      return;
    }
    if (at > deadline) { say({ error: `no matching answer within ${c.timeoutMs} ms; the last was ${r.status} ${r.body}` }); return; }
    await sleep(Math.max(0, sentAt + c.everyMs - now()));
  }
}

// one command at a time, in order
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  chain = chain.then(async () => {
    const c = JSON.parse(line) as Command;
    if (c.op === 'get') say(await get(c.url, c.host));
    else await until(c);
  }).catch((e: Error) => { say({ error: e.message }); });
}).on('close', () => void chain.then(() => process.exit(0)));
say({ ready: true });
