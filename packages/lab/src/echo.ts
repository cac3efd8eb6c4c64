// What the labs share about the tutorials' echo server and their Services: where a lab's manifests
// are, how an amsy810/echo-nginx answer reads, and waiting until a new Service is served.
import { fileURLToPath } from 'node:url';

/** A file in the lab's own manifests/ folder (`labFile(import.meta.url, 'x.yaml')`). */
export const labFile = (labUrl: string, file: string) => fileURLToPath(new URL(`./manifests/${file}`, labUrl));

export interface EchoAnswer { host: string; path: string; from: string; client: string; xff: string }

/** `Host=<host> Path=<path> From=<pod> ClientIP=<peer> XFF=<x-forwarded-for>`, or undefined. */
export function parseEcho(line: string): EchoAnswer | undefined {
  const m = line.trim().match(/^Host=(\S+) Path=(\S+) From=(\S+) ClientIP=(\S+) XFF=(.*)$/);
  return m ? { host: m[1]!, path: m[2]!, from: m[3]!, client: m[4]!, xff: m[5]! } : undefined;
}

/**
 * A shell fragment that waits (at most `seconds`) until `url` answers, then prints `served`, or prints
 * `not served` and exits 1: a new Service is live once kube-proxy has synced it (minSyncPeriod, 1 s).
 */
export function untilServed(url: string, seconds = 10): string {
  return `t=0; until curl -s -o /dev/null --max-time 1 ${url}; do t=$((t+1)); [ $t -gt ${seconds * 5} ] && echo "not served" && exit 1; sleep 0.2; done; echo served`;
}
