// nginx.conf from the model: the main and http blocks (modules, Lua, maps, the one upstream whose
// peers Lua chooses), then one server per model server, then the controller's own servers. The
// config never holds an endpoint: those travel as the backends JSON (backends-json.ts).
//
// The checksum: sha-256 of the text rendered with an empty checksum field, then written into the
// header comment and into the status server's /healthz answer. The runtime compares it with what
// /healthz says to know the reloaded workers are the ones answering.

import { createHash } from 'node:crypto';
import { CATCH_ALL, type IngressModel } from '../model.js';
import type { RenderEnv } from './env.js';
import { renderDefaultBackendServer, renderStatusServer } from './internal-servers.js';
import { LITERAL_DOLLAR_GEO, nginxInt, quotePath } from './quote.js';
import { renderServer } from './server-block.js';
import { serverNamesHashBucketSize } from './server-name.js';

// Contains NUL: quote.ts refuses control characters, so no model value can contain this token.
const CHECKSUM_TOKEN = '\u0000checksum\u0000';

function mainBlock(env: RenderEnv): string[] {
  const p = env.paths;
  const workers = env.workerProcesses === 'auto' ? 'auto' : nginxInt(env.workerProcesses, 'worker_processes', 1, 1024);
  return [
    `# Configuration checksum: ${CHECKSUM_TOKEN}`,
    '# Rendered by @svclab/ingress from the cluster\'s Ingresses. Endpoints are not in this file:',
    '# they are pushed to Lua at runtime (GET /configuration/backends on the status server).',
    '',
    `load_module ${quotePath(`${p.modulesDir}/ndk_http_module.so`, 'ndk module')};`,
    `load_module ${quotePath(`${p.modulesDir}/ngx_http_lua_module.so`, 'lua module')};`,
    '',
    `pid ${quotePath(p.pidFile, 'pid file')};`,
    'daemon off;',
    'master_process on;',
    `worker_processes ${workers};`,
    // old workers left by a reload are killed after this (long-lived connections otherwise pin them)
    `worker_shutdown_timeout ${nginxInt(env.workerShutdownTimeout, 'worker_shutdown_timeout', 1, 86400)}s;`,
    `error_log stderr ${env.errorLogLevel};`,
    '',
    'events {',
    `    worker_connections ${nginxInt(env.workerConnections, 'worker_connections', 16, 1048576)};`,
    '    multi_accept on;',
    '    use epoll;',
    '}',
    '',
  ];
}

function luaPreamble(env: RenderEnv): string[] {
  const p = env.paths;
  return [
    // ";;" appends Lua's default path (resty.core, cjson from the Debian packages)
    `lua_package_path ${quotePath(`${p.luaDir}/?.lua;;`, 'lua dir')};`,
    `lua_shared_dict configuration_data ${nginxInt(env.configurationDictMiB, 'configuration dict size', 1, 1024)}m;`,
    'lua_shared_dict metrics_data 5m;',
    '',
    'init_by_lua_block {',
    `    require("svclab").init({ status_port = ${nginxInt(env.ports.status, 'status port', 1, 65535)} })`,
    '}',
    'init_worker_by_lua_block {',
    '    require("svclab").init_worker()',
    '}',
    '',
  ];
}

function tempPaths(env: RenderEnv): string[] {
  const t = env.paths.tempDir;
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
    (kind) => `${kind}_temp_path ${quotePath(`${t}/${kind.replace('_', '-')}`, `${kind} temp path`)};`,
  );
}

function httpSettings(model: IngressModel, env: RenderEnv): string[] {
  const https = nginxInt(env.ports.https, 'https port', 1, 65535);
  const keepalive = nginxInt(env.upstreamKeepaliveConnections, 'upstream keepalive', 0, 100000);
  const bucket = serverNamesHashBucketSize(model.servers.map((s) => s.hostname));
  return [
    ...tempPaths(env),
    '',
    env.accessLog === undefined ? 'access_log off;' : `access_log ${quotePath(env.accessLog, 'access log')};`,
    'default_type text/html;',
    'server_tokens off;',
    'uninitialized_variable_warn off;',
    'tcp_nodelay on;',
    'keepalive_timeout 75s;',
    'keepalive_requests 1000;',
    'reset_timedout_connection on;',
    `server_names_hash_bucket_size ${bucket};`,
    'server_names_hash_max_size 4096;',
    'variables_hash_bucket_size 256;',
    'server_name_in_redirect off;',
    'port_in_redirect off;',
    '',
    'ssl_protocols TLSv1.2 TLSv1.3;',
    'ssl_session_cache shared:SSL:10m;',
    'ssl_session_timeout 10m;',
    'ssl_session_tickets off;',
    'ssl_buffer_size 4k;',
    '',
    '# See https://www.nginx.com/blog/websocket-nginx',
    'map $http_upgrade $connection_upgrade {',
    '    default          upgrade;',
    keepalive === '0' ? "    ''               close;" : "    ''               '';",
    '}',
    '',
    '# use-forwarded-headers is off: the scheme, port and host are this connection\'s own',
    "map '' $pass_access_scheme {",
    '    default          $scheme;',
    '}',
    "map '' $pass_server_port {",
    '    default          $server_port;',
    '}',
    'map $http_host $best_http_host {',
    '    default          $http_host;',
    "    ''               $host;",
    '}',
    '# X-Forwarded-Port says 443 for the https listener, whatever port it really has',
    'map $pass_server_port $pass_port {',
    `    ${https}              443;`,
    '    default          $pass_server_port;',
    '}',
    '# pass the client\'s X-Request-ID on, or make one',
    'map $http_x_request_id $req_id {',
    '    default   $http_x_request_id;',
    '    ""        $request_id;',
    '}',
    '',
    '# a variable holding a literal "$" (geo does not expand variables): quote.ts writes every',
    '# "$" of a model value that nginx would otherwise expand as ${literal_dollar}',
    ...LITERAL_DOLLAR_GEO.split('\n'),
    '',
    'upstream upstream_balancer {',
    '    # The peers are chosen by Lua from the backends JSON; this server is a placeholder.',
    '    server 0.0.0.1;',
    '',
    '    balancer_by_lua_block {',
    '        require("svclab").balance()',
    '    }',
    ...(keepalive === '0'
      ? []
      : ['', `    keepalive ${keepalive};`, '    keepalive_time 1h;', '    keepalive_timeout 60s;', '    keepalive_requests 10000;']),
    '}',
    '',
  ];
}

function indent(lines: string[]): string[] {
  return lines.map((l) => (l === '' ? '' : `    ${l}`));
}

/** nginx.conf for the model; throws NginxValueError when a value cannot be written safely */
export function renderNginxConf(model: IngressModel, env: RenderEnv): string {
  const servers = model.servers.some((s) => s.hostname === CATCH_ALL)
    ? model.servers
    : [...model.servers, { hostname: CATCH_ALL, locations: [] }];
  const text = [
    ...mainBlock(env),
    'http {',
    ...indent([
      ...luaPreamble(env),
      ...httpSettings(model, env),
      ...servers.flatMap((s) => renderServer(s, model, env)),
      ...renderDefaultBackendServer(env),
      ...renderStatusServer(env, CHECKSUM_TOKEN),
    ]),
    '}',
    '',
  ].join('\n');
  const checksum = createHash('sha256').update(text.split(CHECKSUM_TOKEN).join('')).digest('hex');
  return text.split(CHECKSUM_TOKEN).join(checksum);
}

/** the checksum renderNginxConf wrote into a config (what the status server's /healthz answers) */
export function configChecksum(conf: string): string {
  const m = /^# Configuration checksum: ([0-9a-f]{64})$/m.exec(conf);
  if (!m?.[1]) throw new Error('not a config rendered by renderNginxConf: no checksum line');
  return m[1];
}
