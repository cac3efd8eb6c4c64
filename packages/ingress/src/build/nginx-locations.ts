// The rendering contract for Location, as code: which nginx `location` blocks one server's
// locations become, in order. The renderer may call this or follow the same rules (build.ts header).
import type { Location, Server } from '../model.js';
import { prefixBase } from './locations.js';

export interface NginxLocation {
  /** the location modifier: exact "=", case-insensitive regex "~*", or "" for a plain prefix */
  modifier: '=' | '~*' | '';
  /** the text to match, unquoted and unescaped: quote it, escaping "\\" and '"' */
  match: string;
  /** the Location whose body (backend, config) the block gets */
  location: Location;
}

export function nginxLocations(server: Server): NginxLocation[] {
  // a Prefix's extra exact block is left out when the server has that Exact path already (upstream)
  const exact = new Set(server.locations.filter((l) => !l.regex && l.pathType === 'Exact').map((l) => l.path));
  return server.locations.flatMap((location): NginxLocation[] => {
    if (location.regex) return [{ modifier: '~*', match: `^${location.path}`, location }];
    if (location.pathType === 'Exact') return [{ modifier: '=', match: location.path, location }];
    const base = prefixBase(location.path);
    if (base === '/') return [{ modifier: '', match: '/', location }];
    const blocks: NginxLocation[] = [{ modifier: '', match: `${base}/`, location }];
    if (!exact.has(base)) blocks.push({ modifier: '=', match: base, location });
    return blocks;
  });
}
