// The sysctls upstream's ipvs NewProxier ensures (read, written only when different). strictARP
// (arp_ignore / arp_announce) and the ipvsadm --set timeouts are not in our config, so not here.
import { runOk, type IpvsRunner } from './runner.js';

/** [sysctl, value] for a kernel release such as "6.18.44" */
export function ipvsSysctls(kernelRelease: string): Array<[string, string]> {
  const [major = 0, minor = 0] = kernelRelease.split('.').map((n) => parseInt(n, 10));
  const at = (M: number, m: number) => major > M || (major === M && minor >= m);
  return [
    // let netfilter see IPVS connections, so the masquerade rules apply to them
    ['net/ipv4/vs/conntrack', '1'],
    // on 4.1 ≤ kernel < 5.9, with conn_reuse_mode 1 a connection reusing an old one's source port waits a second (kubernetes#93297)
    ...(at(4, 1) && !at(5, 9) ? [['net/ipv4/vs/conn_reuse_mode', '0'] as [string, string]] : []),
    // drop connections to deleted real servers on their next packet instead of black-holing them
    ['net/ipv4/vs/expire_nodest_conn', '1'],
    // persistence templates of a quiescent (weight 0) real server expire too
    ['net/ipv4/vs/expire_quiescent_template', '1'],
    ['net/ipv4/ip_forward', '1'],
  ];
}

export async function ensureSysctls(runner: IpvsRunner, sysctls: Array<[string, string]>): Promise<void> {
  for (const [key, value] of sysctls) {
    if ((await runOk(runner, 'sysctl', ['-n', key])).trim() !== value) await runOk(runner, 'sysctl', ['-w', `${key}=${value}`]);
  }
}
