// The ipvs sync driver against a fake runner that keeps a small kernel state (IPVS table, ipsets,
// links and addresses, iptables jumps), so each sync sees what the previous one applied: an add,
// a no-op, a change and a delete must each touch only what changed.
import { describe, expect, it } from 'vitest';
import type { IptablesRunner } from '../src/iptables/runner.js';
import { parseIpvsadmRules, renderIpvsadmRules } from '../src/ipvs/ipvsadm-format.js';
import { vsKey, type VirtualServer } from '../src/ipvs/model.js';
import { IpvsProxier } from '../src/ipvs/proxier.js';
import type { CommandResult, IpvsRunner } from '../src/ipvs/runner.js';
import { checkIpvs } from '../src/ipvs/kernel.js';
import { buildServicePorts, type ServicePort } from '../src/service-ports.js';
import { options, slice, svc } from './ipvs-fixtures.js';

class FakeKernel implements IpvsRunner {
  readonly where = ' (fake)';
  log: string[] = [];
  inputs: string[] = [];
  ipvs = new Map<string, VirtualServer>();
  sets = new Map<string, Set<string>>();
  addrs = new Map<string, string[]>([['lo', ['127.0.0.1']], ['eth0', ['192.168.80.10']]]);
  jumps: string[] = [];
  procIpvs = true;
  programs = new Set(['ipset', 'ipvsadm', 'modprobe', 'sysctl']);

  async has(p: string) { return this.programs.has(p); }

  async run(cmd: string, args: string[], input?: string): Promise<CommandResult> {
    const line = [cmd, ...args].join(' ');
    this.log.push(line);
    if (input !== undefined) this.inputs.push(`${line}\n${input}`);
    const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
    const fail = (stderr: string): CommandResult => ({ code: 1, stdout: '', stderr });
    if (line === 'cat /proc/net/ip_vs') return this.procIpvs ? ok('IP Virtual Server version 1.2.1 (size=4096)\n') : fail('No such file or directory');
    if (cmd === 'sysctl') return ok(args[0] === '-n' ? '0' : '');
    if (line === 'ip link show kube-ipvs0') return this.addrs.has('kube-ipvs0') ? ok('6: kube-ipvs0: <BROADCAST,NOARP>') : fail('Device "kube-ipvs0" does not exist.');
    if (line === 'ip link add kube-ipvs0 type dummy') { this.addrs.set('kube-ipvs0', []); return ok(); }
    if (line === 'ip -j -4 addr show') {
      return ok(JSON.stringify([...this.addrs].map(([ifname, ips]) => ({ ifname, addr_info: ips.map((local) => ({ family: 'inet', local })) }))));
    }
    if (cmd === 'ip' && args[0] === 'addr') {
      const ip = args[2]!.replace('/32', '');
      const list = this.addrs.get('kube-ipvs0')!;
      this.addrs.set('kube-ipvs0', args[1] === 'add' ? [...list, ip] : list.filter((a) => a !== ip));
      return ok();
    }
    if (line === 'ipvsadm -Sn') return ok(renderIpvsadmRules([...this.ipvs.values()]));
    if (line === 'ipvsadm -R') { for (const l of input!.trim().split('\n')) this.ipvsadm(l); return ok(); }
    if (line.startsWith('ipvsadm -A -t 198.51.100.0:20000') || line === 'ipvsadm -D -t 198.51.100.0:20000') return ok();
    if (line === 'ipset save') return ok([...this.sets].flatMap(([n, es]) => [`create ${n} x`, ...[...es].map((e) => `add ${n} ${e}`)]).join('\n'));
    if (line === 'ipset restore -exist') {
      for (const [, op, name, entry] of input!.matchAll(/^(create|add|del) (\S+)(?: (\S+))?/gm)) {
        const set = this.sets.get(name!) ?? new Set<string>();
        this.sets.set(name!, set);
        if (op === 'add') set.add(entry!);
        if (op === 'del') set.delete(entry!);
      }
      return ok();
    }
    if (line === 'ipset --version') return ok('ipset v7.17, protocol version: 7');
    if (line === 'iptables -j MASQUERADE --help') return ok('MASQUERADE target options:\n --random-fully');
    return ok();
  }

  /** the part of ipvsadm -R the driver uses */
  private ipvsadm(line: string): void {
    const cmd = line.split(' ')[0];
    const svcArgs = line.split(' ').slice(1, 3).join(' ');
    const vs = (l: string) => parseIpvsadmRules(l)[0]!;
    const key = vsKey(vs(`-A ${svcArgs} -s rr`));
    const cur = this.ipvs.get(key);
    if (cmd === '-A') this.ipvs.set(key, vs(line));
    else if (cmd === '-E') this.ipvs.set(key, { ...vs(line.replace('-E', '-A')), realServers: cur!.realServers });
    else if (cmd === '-D') this.ipvs.delete(key);
    else {
      const rsAddr = /-r (\S+)/.exec(line)![1]!;
      const others = cur!.realServers.filter((r) => `${r.address}:${r.port}` !== rsAddr);
      const rs = cmd === '-d' ? [] : vs(`-A ${svcArgs} -s rr\n${line.replace(/^-e/, '-a')}`).realServers;
      cur!.realServers = [...others, ...rs];
    }
  }

  async iptables(): Promise<IptablesRunner> {
    return {
      save: async () => `*nat\n:KUBE-SERVICES - [0:0]\n${this.jumps.filter((j) => j.startsWith('nat ')).map((j) => j.slice(4)).join('\n')}\nCOMMIT\n*filter\n${this.jumps.filter((j) => j.startsWith('filter ')).map((j) => j.slice(7)).join('\n')}\nCOMMIT\n`,
      restore: async (input: string) => {
        this.inputs.push(`iptables-restore\n${input}`);
        this.log.push('iptables-restore');
        let table = '';
        for (const l of input.split('\n')) {
          if (l.startsWith('*')) table = l.slice(1);
          const m = /^-I (\S+) 1 (.*)$/.exec(l);
          if (m) this.jumps.push(`${table} -A ${m[1]} ${m[2]}`);
        }
      },
    };
  }

  /** the input of the last command like `prefix`, without its first line */
  lastInput(prefix: string): string | undefined {
    return this.inputs.filter((i) => i.startsWith(prefix)).at(-1)?.split('\n').slice(1).join('\n');
  }
}

const ports = (v: 1 | 2 | 3): ServicePort[] => buildServicePorts([
  svc('ns', 'a', '10.96.0.11', [{ port: 80 }]),
  svc('ns', 'b', '10.96.0.12', [{ port: 80 }], v >= 2 ? { sessionAffinity: 'ClientIP' } : {}),
  ...(v < 3 ? [svc('ns', 'np', '10.96.0.13', [{ port: 80, nodePort: 30080 }], { type: 'NodePort' })] : []),
], [
  slice('ns', 'a', [{ port: 8080 }], v === 1 ? [{ ip: '10.244.1.1' }, { ip: '10.244.1.2' }] : [{ ip: '10.244.1.1' }, { ip: '10.244.1.5' }]),
  slice('ns', 'b', [{ port: 8080 }], [{ ip: '10.244.1.3' }]),
  slice('ns', 'np', [{ port: 8080 }], [{ ip: '10.244.1.4' }]),
]);

describe('IpvsProxier.sync', () => {
  const kernel = new FakeKernel();
  const proxier = new IpvsProxier(options({ nodeName: 'node-1' }), kernel, '6.18.44');
  const step = async (v: 1 | 2 | 3) => {
    kernel.log = [];
    kernel.inputs = [];
    await proxier.sync(ports(v));
    return kernel.log;
  };

  it('adds: sets the sysctls, creates kube-ipvs0, adds every virtual server with its real servers, binds the ClusterIPs', async () => {
    const log = await step(1);
    expect(log).toContain('sysctl -w net/ipv4/vs/conntrack=1');
    expect(log).toContain('sysctl -w net/ipv4/vs/expire_nodest_conn=1');
    expect(log).not.toContain('sysctl -w net/ipv4/vs/conn_reuse_mode=0'); // only on 4.1 ≤ kernel < 5.9
    expect(log).toContain('ip link add kube-ipvs0 type dummy');
    expect(kernel.lastInput('ipvsadm -R')!.split('\n').filter(Boolean)).toEqual([
      '-A -t 192.168.80.10:30080 -s rr',
      '-a -t 192.168.80.10:30080 -r 10.244.1.4:8080 -m -w 1',
      '-A -t 10.96.0.11:80 -s rr',
      '-a -t 10.96.0.11:80 -r 10.244.1.1:8080 -m -w 1',
      '-a -t 10.96.0.11:80 -r 10.244.1.2:8080 -m -w 1',
      '-A -t 10.96.0.12:80 -s rr',
      '-a -t 10.96.0.12:80 -r 10.244.1.3:8080 -m -w 1',
      '-A -t 10.96.0.13:80 -s rr',
      '-a -t 10.96.0.13:80 -r 10.244.1.4:8080 -m -w 1',
    ]);
    expect(log.filter((l) => l.startsWith('ip addr add'))).toEqual(['10.96.0.11', '10.96.0.12', '10.96.0.13'].map((ip) => `ip addr add ${ip}/32 dev kube-ipvs0`));
    expect(kernel.sets.get('KUBE-NODE-PORT-TCP')).toEqual(new Set(['30080']));
    // the jumps from the built-in chains are missing, so they go into the restore
    expect(kernel.lastInput('iptables-restore')).toContain('-I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(kernel.lastInput('iptables-restore')).toContain('-j MASQUERADE --random-fully');
    expect(await proxier.flushed()).toBe(false);
  });

  it('does nothing to IPVS, addresses or ipsets when nothing changed', async () => {
    const log = await step(1);
    expect(log.filter((l) => /^(ipvsadm -R|ip addr|ip link add|sysctl)/.test(l))).toEqual([]);
    expect(kernel.lastInput('ipset restore')!.split('\n').filter((l) => /^(add|del) /.test(l))).toEqual([]);
    expect(kernel.lastInput('iptables-restore')).not.toContain('-I ');
  });

  it('changes: a replaced endpoint and a new ClientIP affinity are one -a, one -d and one -E, nothing else', async () => {
    const log = await step(2);
    expect(kernel.lastInput('ipvsadm -R')!.split('\n').filter(Boolean)).toEqual([
      '-a -t 10.96.0.11:80 -r 10.244.1.5:8080 -m -w 1',
      '-d -t 10.96.0.11:80 -r 10.244.1.2:8080',
      '-E -t 10.96.0.12:80 -s rr -p 10800',
    ]);
    expect(log.filter((l) => l.startsWith('ip addr'))).toEqual([]);
    expect(renderIpvsadmRules([...kernel.ipvs.values()])).toContain('-A -t 10.96.0.12:80 -s rr -p 10800\n');
  });

  it('deletes: the Service\'s virtual servers go after iptables, with its address unbound and its set members removed', async () => {
    const log = await step(3);
    expect(kernel.lastInput('ipvsadm -R')!.split('\n').filter(Boolean)).toEqual(['-D -t 192.168.80.10:30080', '-D -t 10.96.0.13:80']);
    expect(log.filter((l) => l.startsWith('ipvsadm -R'))).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('ip addr'))).toEqual(['ip addr del 10.96.0.13/32 dev kube-ipvs0']);
    expect(log.indexOf('iptables-restore')).toBeLessThan(log.indexOf('ip addr del 10.96.0.13/32 dev kube-ipvs0'));
    expect(log.indexOf('ip addr del 10.96.0.13/32 dev kube-ipvs0')).toBeLessThan(log.indexOf('ipvsadm -R'));
    expect(kernel.lastInput('ipset restore')!.split('\n').filter((l) => /^(add|del) /.test(l))).toEqual([
      'del KUBE-CLUSTER-IP 10.96.0.13,tcp:80', 'del KUBE-NODE-PORT-TCP 30080', 'del KUBE-IPVS-IPS 10.96.0.13',
    ]);
    expect([...kernel.ipvs.keys()].sort()).toEqual(['10.96.0.11:80/TCP', '10.96.0.12:80/TCP']);
  });

  it('reports a flush when kube-ipvs0 or the jumps disappear', async () => {
    expect(await proxier.flushed()).toBe(false);
    kernel.addrs.delete('kube-ipvs0');
    expect(await proxier.flushed()).toBe(true);
  });

  it('fails the sync when ipvsadm -R complains about any line (it exits with the last line\'s status only)', async () => {
    const broken = new FakeKernel();
    const run = broken.run.bind(broken);
    broken.run = async (cmd, args, input) => (cmd === 'ipvsadm' && args[0] === '-R' ? { code: 0, stdout: '', stderr: 'Service already exists' } : run(cmd, args, input));
    await expect(new IpvsProxier(options(), broken, '6.18.44').sync(ports(1))).rejects.toThrow(/ipvsadm -R \(fake\) failed: Service already exists/);
  });
});

describe('checkIpvs with a fake host', () => {
  it('passes where IPVS, ipset and ipvsadm are there and a dummy virtual server takes the scheduler, as upstream probes', async () => {
    const host = new FakeKernel();
    await checkIpvs(host, '', new Map([['CONFIG_IP_VS', 'm'], ['CONFIG_DUMMY', 'm'], ['CONFIG_MODULES', 'y']]));
    expect(host.log).toContain('ipvsadm -A -t 198.51.100.0:20000 -s rr');
    expect(host.log).toContain('ipvsadm -D -t 198.51.100.0:20000');
  });

  it('names every missing piece at once: IP_VS, the modprobe command, the Debian packages, the other modes', async () => {
    const host = new FakeKernel();
    host.procIpvs = false;
    host.programs = new Set(['modprobe']);
    const run = host.run.bind(host);
    host.run = async (cmd, args, input) => (cmd === 'modprobe' ? { code: 1, stdout: '', stderr: 'modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0' } : run(cmd, args, input));
    const err = await checkIpvs(host, 'wlc', new Map([['CONFIG_MODULES', 'y'], ['CONFIG_DUMMY', 'm']])).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      "can't use the IPVS proxier: the kernel has no IP Virtual Server support (IP_VS): /proc/net/ip_vs does not exist, "
      + 'and `modprobe -- ip_vs` failed (modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0); '
      + '/proc/config.gz shows it was built without IP_VS (# CONFIG_IP_VS is not set). '
      + "kube-proxy's ipvs mode needs a kernel with CONFIG_IP_VS, CONFIG_IP_VS_RR, CONFIG_IP_VS_WRR, CONFIG_IP_VS_SH, CONFIG_IP_VS_WLC, CONFIG_NF_CONNTRACK "
      + 'and the modules ip_vs, ip_vs_rr, ip_vs_wrr, ip_vs_sh, ip_vs_wlc, nf_conntrack built in or loaded: '
      + '`modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh ip_vs_wlc nf_conntrack` (one `modprobe -- <module>` each works too); '
      + 'ipset is not installed (Debian package ipset); '
      + "ipvsadm is not installed (Debian package ipvsadm): svclab's kube-proxy programs IPVS with it, where upstream speaks netlink. "
      + 'To do without IPVS, set mode: "iptables" (or mode: "nftables") in the kube-proxy ConfigMap (kubectl -n kube-system edit configmap kube-proxy) '
      + 'and restart kube-proxy (kubectl -n kube-system delete pod -l k8s-app=kube-proxy).',
    );
  });

  it('reports a scheduler the kernel refuses, with its module', async () => {
    const host = new FakeKernel();
    const run = host.run.bind(host);
    host.run = async (cmd, args, input) => (cmd === 'ipvsadm' && args[0] === '-A' ? { code: 2, stdout: '', stderr: 'Scheduler not found: ip_vs_twos' } : run(cmd, args, input));
    await expect(checkIpvs(host, 'twos', new Map([['CONFIG_IP_VS', 'y'], ['CONFIG_DUMMY', 'y']])))
      .rejects.toThrow(/the IPVS scheduler "twos" does not work here \(ipvsadm -A -t 198.51.100.0:20000 -s twos: Scheduler not found: ip_vs_twos\); it lives in the module ip_vs_twos/);
  });
});
