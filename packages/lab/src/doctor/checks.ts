// Host prerequisites: each check probes the real thing (in a scratch network namespace where it
// touches networking) and says which Debian package or kernel setting fixes it.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Requirement = 'kubectl' | 'privileges' | 'netns' | 'veth-bridge' | 'iptables' | 'nft' | 'conntrack' | 'nginx' | 'nginx-lua' | 'wrk' | 'openssl' | 'curl' | 'dig' | 'util-linux' | 'ipvs';

export interface CheckResult { id: Requirement; title: string; ok: boolean; detail: string; fix?: string; packages?: string[] }

const run = async (cmd: string, args: string[], input?: string) => {
  const r = await execa(cmd, args, { reject: false, input });
  return { ok: r.exitCode === 0 && !r.failed, out: `${r.stderr || r.stdout || r.shortMessage || ''}`.trim().split('\n')[0] ?? '' };
};

const scratch = `svclab-doctor-${process.pid}`;
const inScratch = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', scratch, cmd, ...args]);

interface Check { id: Requirement; title: string; packages?: string[]; fix?: string; probe: () => Promise<{ ok: boolean; detail: string }> }

const checks: Check[] = [
  {
    id: 'privileges', title: 'root (or unprivileged user namespaces)',
    fix: 'run the lab as root (sudo -E pnpm lab …); running rootless inside a user namespace is not supported yet',
    probe: async () => {
      const root = process.getuid?.() === 0;
      const userns = existsSync('/proc/sys/user/max_user_namespaces') && Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8')) > 0;
      return { ok: root, detail: root ? 'running as root' : `not root (unprivileged user namespaces ${userns ? 'available' : 'disabled'})` };
    },
  },
  { id: 'util-linux', title: 'nsenter and unshare', packages: ['util-linux'], probe: async () => { const r = await run('nsenter', ['--version']); return { ok: r.ok, detail: r.out }; } },
  { id: 'netns', title: 'network namespaces (ip netns)', packages: ['iproute2'], probe: async () => { const r = await run('ip', ['netns', 'add', scratch]); return { ok: r.ok, detail: r.ok ? 'created and removed a scratch namespace' : r.out }; } },
  {
    id: 'veth-bridge', title: 'veth pairs and bridges', packages: ['iproute2'], fix: 'the kernel needs CONFIG_VETH and CONFIG_BRIDGE (modprobe veth bridge)',
    probe: async () => { const r = await run('ip', ['-n', scratch, '-b', '-'], 'link add d0 type veth peer name d1\nlink add br0 type bridge\n'); return { ok: r.ok, detail: r.ok ? 'veth and bridge created' : r.out }; },
  },
  {
    id: 'iptables', title: 'iptables nat with statistic and recent', packages: ['iptables'], fix: 'the kernel needs the xt_statistic and xt_recent netfilter modules',
    probe: async () => {
      const a = await inScratch('iptables', ['-w', '-t', 'nat', '-A', 'OUTPUT', '-m', 'statistic', '--mode', 'random', '--probability', '0.5', '-j', 'RETURN']);
      if (!a.ok) return { ok: false, detail: a.out };
      const b = await inScratch('iptables', ['-w', '-t', 'nat', '-A', 'OUTPUT', '-m', 'recent', '--name', 'svclab', '--set', '-j', 'RETURN']);
      const v = await run('iptables', ['--version']);
      return { ok: b.ok, detail: b.ok ? v.out : b.out };
    },
  },
  { id: 'nft', title: 'nftables (nft)', packages: ['nftables'], probe: async () => { const r = await inScratch('nft', ['add', 'table', 'inet', 'svclab']); const v = await run('nft', ['--version']); return { ok: r.ok, detail: r.ok ? v.out : r.out }; } },
  { id: 'conntrack', title: 'conntrack tool', packages: ['conntrack'], probe: async () => { const r = await inScratch('conntrack', ['-L']); return { ok: r.ok, detail: r.ok ? 'conntrack table readable' : r.out }; } },
  { id: 'nginx', title: 'nginx', packages: ['nginx-light'], probe: async () => { const r = await run('nginx', ['-v']); return { ok: r.ok, detail: r.out }; } },
  {
    id: 'nginx-lua', title: 'nginx Lua module and lua-cjson (the ingress controller\'s runtime endpoints)', packages: ['libnginx-mod-http-lua', 'lua-cjson'],
    // nginx -t runs init_by_lua: the modules load and cjson is found, or the test fails saying why
    probe: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'svclab-doctor-lua-'));
      try {
        writeFileSync(join(dir, 'nginx.conf'), `load_module /usr/lib/nginx/modules/ndk_http_module.so;\nload_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\npid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { init_by_lua_block { require "cjson.safe" } }\n`);
        const r = await run('nginx', ['-t', '-q', '-c', join(dir, 'nginx.conf'), '-p', dir + '/']);
        return { ok: r.ok, detail: r.ok ? 'ngx_http_lua_module loads; require "cjson.safe" works' : r.out };
      } finally { rmSync(dir, { recursive: true, force: true }); }
    },
  },
  { id: 'wrk', title: 'wrk (pnpm bench ingress)', packages: ['wrk'], probe: async () => { const r = await run('wrk', ['--version']); return { ok: r.out.startsWith('wrk'), detail: r.out }; } },
  { id: 'openssl', title: 'openssl (cluster CA)', packages: ['openssl'], probe: async () => { const r = await run('openssl', ['version']); return { ok: r.ok, detail: r.out }; } },
  { id: 'curl', title: 'curl (amsy810/tools)', packages: ['curl'], probe: async () => { const r = await run('curl', ['--version']); return { ok: r.ok, detail: r.out }; } },
  { id: 'dig', title: 'dig and nslookup (amsy810/tools: the tutorials\' DNS look-ups)', packages: ['bind9-dnsutils'], probe: async () => { const r = await run('dig', ['-v']); return { ok: r.ok, detail: r.out }; } },
  {
    id: 'kubectl', title: 'kubectl (the tutorials\' own commands)',
    fix: 'install kubectl (https://kubernetes.io/docs/tasks/tools/#kubectl) so it is on the PATH',
    probe: async () => { const r = await run('kubectl', ['version', '--client']); return { ok: r.ok, detail: r.ok ? r.out : 'kubectl is not on the PATH' }; },
  },
  {
    id: 'ipvs', title: 'IP_VS (kube-proxy ipvs mode)',
    fix: 'load the kernel module: modprobe ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh (the kernel must be built with CONFIG_IP_VS; only the ipvs labs need it)',
    probe: async () => {
      const ok = existsSync('/proc/net/ip_vs') || (await run('modprobe', ['-n', 'ip_vs'])).ok;
      return { ok, detail: ok ? 'ip_vs available' : 'this kernel has no IP_VS support loaded (/proc/net/ip_vs is missing)' };
    },
  },
];

export async function runChecks(only?: Requirement[]): Promise<CheckResult[]> {
  const wanted = checks.filter((c) => !only || only.includes(c.id));
  const out: CheckResult[] = [];
  try {
    for (const c of wanted) {
      const r = await c.probe().catch((e: Error) => ({ ok: false, detail: e.message }));
      const fix = c.packages ? `apt-get install -y ${c.packages.join(' ')}${c.fix ? `; ${c.fix}` : ''}` : c.fix;
      out.push({ id: c.id, title: c.title, ok: r.ok, detail: r.detail, ...(r.ok ? {} : { fix, packages: c.packages }) });
    }
  } finally {
    await execa('ip', ['netns', 'delete', scratch], { reject: false });
  }
  return out;
}

export const ALL_PACKAGES = [...new Set(checks.flatMap((c) => c.packages ?? []))];
