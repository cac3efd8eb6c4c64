// How one model Location becomes nginx `location` matchers: the builder's contract
// (build/nginx-locations.ts), quoted. ingress-nginx since CVE-2026-24512 quotes every matcher.
//   regex (use-regex / rewrite-target on the host) → location ~* "^<p>"
//   Exact                                          → location = "<p>"
//   Prefix / ImplementationSpecific "/"            → location "/"
//   Prefix / ImplementationSpecific "/foo[/]"      → location "/foo/" and location = "/foo" (element-wise:
//                                                    /foo and /foo/bar match, /foobar does not)
import { nginxLocations } from '../build/nginx-locations.js';
import type { Location, Server } from '../model.js';
import { quoteLiteral } from './quote.js';

/** the text after `location ` for each block this Location needs in `server` */
export function locationMatchers(location: Location, server: Server): string[] {
  const locations = server.locations.includes(location) ? server.locations : [...server.locations, location];
  return nginxLocations({ ...server, locations })
    .filter((n) => n.location === location)
    .map((n) => `${n.modifier ? `${n.modifier} ` : ''}${quoteLiteral(n.match, `path ${JSON.stringify(location.path)}`)}`);
}
