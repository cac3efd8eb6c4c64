// Runs a UserspaceProxier inside a node's network namespace for the live test:
//   ip netns exec <node-ns> node --import tsx userspace-harness.ts '<BackendOptions JSON>'
// Prints {"ready":true}, then reads one JSON command a line on stdin and answers each with one line:
//   {"op":"sync","ports":ServicePort[]} | {"op":"ports"} | {"op":"stats"} | {"op":"flushed"}
//   | {"op":"check"} | {"op":"close"} | {"op":"cleanup"}
// → {"ok":true,"result":…} or {"ok":false,"error":"…"}. The proxier logs to stderr.
import { createInterface } from 'node:readline';
import type { BackendOptions } from '../src/backend.js';
import type { ServicePort } from '../src/service-ports.js';
import { UserspaceProxier } from '../src/userspace/proxier.js';

const opts = JSON.parse(process.argv[2] ?? '') as BackendOptions;
const proxier = new UserspaceProxier(opts, undefined, { log: (m) => process.stderr.write(`userspace: ${m}\n`) });

type Command = { op: 'sync'; ports: ServicePort[] } | { op: 'ports' | 'stats' | 'flushed' | 'check' | 'close' | 'cleanup' };

async function run(c: Command): Promise<unknown> {
  switch (c.op) {
    case 'sync': return proxier.sync(c.ports);
    case 'ports': return proxier.proxyPorts();
    case 'stats': return proxier.stats();
    case 'flushed': return proxier.flushed();
    case 'check': return proxier.check();
    case 'close': return proxier.close();
    case 'cleanup': return proxier.cleanup();
  }
}

const reply = (r: object): void => { process.stdout.write(JSON.stringify(r) + '\n'); };
// one command at a time, in order
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(() => run(JSON.parse(line) as Command)).then(
    (result) => reply({ ok: true, result: result ?? null }),
    (e: Error) => reply({ ok: false, error: e.message }),
  );
}).on('close', () => void queue.then(() => proxier.close()).then(() => process.exit(0)));
reply({ ready: true });
