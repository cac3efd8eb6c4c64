// One model Location → one or more nginx `location` blocks (see location-forms.ts for how many),
// each with the body ingress-nginx's template gives a proxied location: the $namespace …
// variables, the Lua phases, allow/deny, the headers upstream sets, timeouts, rewrite-target and
// the pass to upstream_balancer. Every model value goes through quote.ts.

import { DEFAULT_BACKEND, type Location, type Server } from '../model.js';
import { locationMatchers } from './location-forms.js';
import { nginxCidr, nginxInt, nginxSize, quoteLiteral, quoteRewriteTarget, quoteScript } from './quote.js';

const TIMEOUT_MAX = 24 * 3600;

/** does this location send plain-http requests to https? (decided at render time) */
export function redirectsToHttps(location: Location, server: Server): boolean {
  return location.config.forceSslRedirect || (location.config.sslRedirect && server.tls !== undefined);
}

function passDirective(location: Location): { pass: string; setHeader: string; timeoutPrefix: string } {
  // ingress-nginx always talks plain HTTP to its own default backend
  const protocol = location.backend === DEFAULT_BACKEND ? 'HTTP' : location.config.backendProtocol;
  switch (protocol) {
    case 'HTTP':
      return { pass: 'proxy_pass http://upstream_balancer;', setHeader: 'proxy_set_header', timeoutPrefix: 'proxy' };
    case 'HTTPS':
      return { pass: 'proxy_pass https://upstream_balancer;', setHeader: 'proxy_set_header', timeoutPrefix: 'proxy' };
    case 'GRPC':
      return { pass: 'grpc_pass grpc://upstream_balancer;', setHeader: 'grpc_set_header', timeoutPrefix: 'grpc' };
    case 'GRPCS':
      return { pass: 'grpc_pass grpcs://upstream_balancer;', setHeader: 'grpc_set_header', timeoutPrefix: 'grpc' };
  }
}

/** the directives inside every block of this location (indented by the caller) */
function locationBody(location: Location, server: Server): string[] {
  const c = location.config;
  const where = `location ${JSON.stringify(location.path)} of ${server.hostname}`;
  const ing = location.ingress;
  const svc = location.service;
  const { pass, setHeader, timeoutPrefix } = passDirective(location);
  const lines: string[] = [
    `set $namespace      ${quoteScript(ing?.namespace ?? '', `${where}: namespace`)};`,
    `set $ingress_name   ${quoteScript(ing?.name ?? '', `${where}: ingress name`)};`,
    `set $service_name   ${quoteScript(svc?.name ?? '', `${where}: service name`)};`,
    `set $service_port   ${quoteScript(svc === undefined ? '' : String(svc.port), `${where}: service port`)};`,
    `set $location_path  ${quoteScript(location.path, `${where}: path`)};`,
    '',
    `set $proxy_upstream_name ${quoteScript(location.backend, `${where}: backend`)};`,
    'set $proxy_alternative_upstream_name "";',
    '',
    'rewrite_by_lua_block {',
    `    require("svclab").rewrite(${redirectsToHttps(location, server) ? 'true' : 'false'})`,
    '}',
    'log_by_lua_block {',
    '    require("svclab").log()',
    '}',
    '',
  ];

  if (c.allowSourceRanges.length > 0) {
    for (const cidr of c.allowSourceRanges) lines.push(`allow ${nginxCidr(cidr, `${where}: whitelist-source-range`)};`);
    lines.push('deny all;', '');
  }

  lines.push(`client_max_body_size ${nginxSize(c.proxyBodySize, `${where}: proxy-body-size`)};`, '');

  // The headers ingress-nginx sets (use-forwarded-headers off: X-Forwarded-For is $remote_addr,
  // the client's X-Forwarded-For goes to X-Original-Forwarded-For). gRPC gets no Host override.
  if (setHeader === 'proxy_set_header') lines.push(`${setHeader} Host                   $best_http_host;`);
  lines.push(
    `${setHeader} Upgrade                $http_upgrade;`,
    `${setHeader} Connection             $connection_upgrade;`,
    `${setHeader} X-Request-ID           $req_id;`,
    `${setHeader} X-Real-IP              $remote_addr;`,
    `${setHeader} X-Forwarded-For        $remote_addr;`,
    `${setHeader} X-Forwarded-Host       $best_http_host;`,
    `${setHeader} X-Forwarded-Port       $pass_port;`,
    `${setHeader} X-Forwarded-Proto      $pass_access_scheme;`,
    `${setHeader} X-Forwarded-Scheme     $pass_access_scheme;`,
    `${setHeader} X-Original-URI         $request_uri;`,
    `${setHeader} X-Scheme               $pass_access_scheme;`,
    `${setHeader} X-Original-Forwarded-For $http_x_forwarded_for;`,
    // httpoxy mitigation, as upstream
    `${setHeader} Proxy                  "";`,
    '',
    `${timeoutPrefix}_connect_timeout ${nginxInt(c.proxyConnectTimeout, `${where}: proxy-connect-timeout`, 1, TIMEOUT_MAX)}s;`,
    `${timeoutPrefix}_send_timeout    ${nginxInt(c.proxySendTimeout, `${where}: proxy-send-timeout`, 1, TIMEOUT_MAX)}s;`,
    `${timeoutPrefix}_read_timeout    ${nginxInt(c.proxyReadTimeout, `${where}: proxy-read-timeout`, 1, TIMEOUT_MAX)}s;`,
    '',
  );
  if (timeoutPrefix === 'proxy') {
    lines.push(
      'proxy_buffering         off;',
      'proxy_buffer_size       4k;',
      'proxy_buffers           4 4k;',
      'proxy_request_buffering on;',
      'proxy_http_version      1.1;',
      'proxy_cookie_domain     off;',
      'proxy_cookie_path       off;',
      'proxy_redirect          off;',
      'proxy_next_upstream         error timeout;',
      'proxy_next_upstream_timeout 0;',
      'proxy_next_upstream_tries   3;',
      '',
    );
  } else {
    lines.push('grpc_next_upstream         error timeout;', 'grpc_next_upstream_tries   3;', '');
  }

  // rewrite-target, as upstream: `rewrite "(?i)<path>" <target> break;` (no-op when equal)
  if (c.rewriteTarget !== undefined && c.rewriteTarget !== location.path) {
    lines.push(
      `rewrite ${quoteLiteral(`(?i)${location.path}`, `${where}: path`)} ${quoteRewriteTarget(c.rewriteTarget, `${where}: rewrite-target`)} break;`,
    );
  }
  lines.push(pass);
  return lines;
}

/**
 * The `location` blocks for a location; `seen` holds matchers already emitted in this server so
 * two model locations that reduce to the same nginx matcher do not make nginx -t fail with
 * "duplicate location" (the first, i.e. the higher-precedence one, wins).
 */
export function renderLocation(location: Location, server: Server, seen: Set<string>): string[] {
  const body = locationBody(location, server).map((l) => (l === '' ? '' : `    ${l}`));
  const out: string[] = [];
  for (const matcher of locationMatchers(location, server)) {
    if (seen.has(matcher)) {
      out.push(`# location ${matcher} already defined above: skipped`, '');
      continue;
    }
    seen.add(matcher);
    out.push(`location ${matcher} {`, ...body, '}', '');
  }
  return out;
}
