// ClusterIP allocation from the service CIDR, as upstream: the lower band of the range is kept for
// static (user-chosen) addresses, dynamic picks are random from the upper band.
import { ApiError } from './errors.js';

export const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
export const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export class IpAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Set<number>();

  constructor(readonly cidr: string) {
    const [ip, bits] = cidr.split('/') as [string, string];
    this.base = ipToInt(ip);
    this.size = 2 ** (32 - Number(bits));
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n > this.base && n < this.base + this.size - 1;
  }

  allocate(ip: string): void {
    this.used.add(ipToInt(ip));
  }

  isAllocated(ip: string): boolean {
    return this.used.has(ipToInt(ip));
  }

  release(ip: string): void {
    this.used.delete(ipToInt(ip));
  }

  next(): string {
    const offset = Math.min(Math.max(16, Math.floor(this.size / 16)), 256);
    const span = this.size - 2 - offset;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const n = this.base + offset + 1 + ((start + i) % span);
      if (!this.used.has(n)) { this.used.add(n); return intToIp(n); }
    }
    throw new ApiError(500, 'InternalError', `Internal error occurred: failed to allocate a serviceIP: range is full`);
  }
}
