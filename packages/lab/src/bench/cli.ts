// `pnpm bench <what>`: measurements, printed with their spread; separate from the tests.
import { parseArgs } from 'node:util';
import { benchApiserver } from './apiserver.js';
import { benchCluster } from './cluster.js';
import { benchIngress } from './ingress.js';
import { benchProxy, DEFAULT_SIZES } from './proxy.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: {
  runs: { type: 'string', default: '5' },
  // proxy: Service counts for the sync figures, or --quick for 1k only
  sizes: { type: 'string' },
  quick: { type: 'boolean', default: false },
} });
const what = positionals[0] ?? 'cluster';
const print = (s: string) => process.stdout.write(s + '\n');

const benches: Record<string, () => Promise<void>> = {
  cluster: () => benchCluster(Number(values.runs), print),
  apiserver: () => benchApiserver(print),
  proxy: () => benchProxy({ sizes: values.quick ? [1000] : values.sizes ? values.sizes.split(',').map((n) => Number(n.trim().replace(/k$/i, '000'))) : DEFAULT_SIZES }, print),
  ingress: () => benchIngress({ quick: values.quick! }, print),
};

const run = benches[what];
if (!run) { process.stderr.write(`unknown bench "${what}"; benches: ${Object.keys(benches).join(', ')}\n`); process.exit(1); }
run().then(() => process.exit(0), (e: Error) => { process.stderr.write(`bench failed: ${e.message}\n`); process.exit(1); });
