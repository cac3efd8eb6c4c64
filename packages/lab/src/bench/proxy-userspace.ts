// The userspace backend for `pnpm bench proxy`, run inside the client namespace (its listeners must
// live there; UserspaceProxier opens them in its own process's namespace):
//   node --import tsx proxy-userspace.ts '<BackendOptions JSON>' <legacy|nft>
// Prints {"ready":true}; then one JSON command a line on stdin, {"op":"sync","ports":ServicePort[]},
// each answered with {"ok":true,"ms":<sync time>} or {"ok":false,"error":"…"}. Exits when stdin closes.
import { createInterface } from 'node:readline';
import type { BackendOptions } from '../../../proxy/src/backend.js';
import { iptablesRunner, type IptablesVariant } from '../../../proxy/src/iptables/runner.js';
import type { ServicePort } from '../../../proxy/src/service-ports.js';
import { UserspaceProxier } from '../../../proxy/src/userspace/proxier.js';

const opts = JSON.parse(process.argv[2] ?? '') as BackendOptions;
const variant = (process.argv[3] ?? 'legacy') as IptablesVariant;
const proxier = new UserspaceProxier(opts, iptablesRunner(variant), { log: () => undefined });
const reply = (r: object) => { process.stdout.write(JSON.stringify(r) + '\n'); };

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as { op: 'sync'; ports: ServicePort[] };
  queue = queue.then(async () => {
    const t0 = performance.now();
    await proxier.sync(c.ports);
    return performance.now() - t0;
  }).then((ms) => reply({ ok: true, ms }), (e: Error) => reply({ ok: false, error: e.message }));
}).on('close', () => void queue.then(() => proxier.close()).then(() => process.exit(0)));

proxier.check().then(() => reply({ ready: true }), (e: Error) => { process.stderr.write(`${e.message}\n`); process.exit(1); });
