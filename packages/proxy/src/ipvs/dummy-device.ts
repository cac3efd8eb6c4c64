// kube-ipvs0: the dummy device every Service address is bound to (as a /32), so the node accepts
// packets to it and IPVS can take them in INPUT. Upstream creates it and never sets it up.
import { runOk, type IpvsRunner } from './runner.js';

export const DUMMY_DEVICE = 'kube-ipvs0';

export interface LocalAddresses {
  /** addresses on every interface but kube-ipvs0, loopback excluded (upstream's GetAllLocalAddressesExcept) */
  node: string[];
  /** addresses on kube-ipvs0 */
  bound: string[];
  /** every local IPv4 address (nodePortAddresses selects among these, as upstream's GetNodeIPs) */
  all: string[];
}

export async function localAddresses(runner: IpvsRunner): Promise<LocalAddresses> {
  const links = JSON.parse((await runOk(runner, 'ip', ['-j', '-4', 'addr', 'show'])) || '[]') as Array<{ ifname: string; addr_info?: Array<{ family: string; local: string }> }>;
  const v4 = (l: (typeof links)[number]) => (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local);
  const uniq = (ips: string[]) => [...new Set(ips)];
  return {
    node: uniq(links.filter((l) => l.ifname !== DUMMY_DEVICE).flatMap(v4).filter((ip) => !ip.startsWith('127.'))),
    bound: uniq(links.filter((l) => l.ifname === DUMMY_DEVICE).flatMap(v4)),
    all: uniq(links.flatMap(v4)),
  };
}

export async function dummyDeviceExists(runner: IpvsRunner): Promise<boolean> {
  return (await runner.run('ip', ['link', 'show', DUMMY_DEVICE])).code === 0;
}

export async function ensureDummyDevice(runner: IpvsRunner): Promise<void> {
  if (!(await dummyDeviceExists(runner))) await runOk(runner, 'ip', ['link', 'add', DUMMY_DEVICE, 'type', 'dummy']);
}

export async function deleteDummyDevice(runner: IpvsRunner): Promise<void> {
  if (await dummyDeviceExists(runner)) await runOk(runner, 'ip', ['link', 'del', DUMMY_DEVICE]);
}

export async function bindAddress(runner: IpvsRunner, ip: string): Promise<void> {
  await runOk(runner, 'ip', ['addr', 'add', `${ip}/32`, 'dev', DUMMY_DEVICE]);
}

export async function unbindAddress(runner: IpvsRunner, ip: string): Promise<void> {
  await runOk(runner, 'ip', ['addr', 'del', `${ip}/32`, 'dev', DUMMY_DEVICE]);
}
