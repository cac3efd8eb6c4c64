// server_name for a model hostname. nginx's own `*.example.com` matches any number of labels
// (a.b.example.com too); Kubernetes says a wildcard matches exactly one, so ingress-nginx writes a
// regex server name instead, and so do we. The hostname is validated as a DNS name first and then
// still goes through quoteLiteral: validation is the first wall, quoting the second.

import { CATCH_ALL } from '../model.js';
import { NginxValueError, quoteLiteral } from './quote.js';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function checkDnsName(name: string, what: string): string[] {
  const labels = name.split('.');
  if (name.length > 253 || labels.some((l) => !LABEL.test(l))) {
    throw new NginxValueError(`${what} ${JSON.stringify(name)} is not a lowercase DNS name (RFC 1123)`);
  }
  return labels;
}

/** the argument of `server_name` (already quoted) */
export function serverNameArg(hostname: string): string {
  const what = 'server hostname';
  if (hostname === CATCH_ALL) return quoteLiteral(CATCH_ALL, what);
  if (hostname.startsWith('*.')) {
    const labels = checkDnsName(hostname.slice(2), what);
    return quoteLiteral(`~^(?<subdomain>[\\w-]+)\\.${labels.join('\\.')}$`, what);
  }
  checkDnsName(hostname, what);
  return quoteLiteral(hostname, what);
}

/**
 * server_names_hash_bucket_size big enough for the longest name (nginx refuses to start with
 * "could not build server_names_hash" otherwise): two pointers plus the name rounded to a word,
 * then the next power of two, at least 64.
 */
export function serverNamesHashBucketSize(hostnames: string[]): number {
  const longest = Math.max(0, ...hostnames.map((h) => h.length + 32 /* regex form */));
  const word = 8;
  const raw = 2 * word + Math.ceil((longest + 2) / word) * word;
  let size = 64;
  while (size < raw) size *= 2;
  return size;
}
