// The two servers that belong to the controller, not to any Ingress, both on loopback only:
// - the default backend (ingress-nginx's :8181): nginx's own 404 page, plus /healthz;
// - the status server (:10246): /healthz (answers the config checksum, so the runtime can tell the
//   new generation of workers is serving), /nginx_status (stub_status), the Lua configuration
//   endpoint, /metrics-data and /is-dynamic-lb-initialized.

import type { RenderEnv } from './env.js';
import { nginxInt, nginxListenAddress } from './quote.js';

export function renderDefaultBackendServer(env: RenderEnv): string[] {
  const addr = nginxListenAddress(env.defaultBackendAddress, 'default backend address');
  const port = nginxInt(env.ports.defaultBackend, 'default backend port', 1, 65535);
  return [
    '# backend for when default-backend-service is not configured or it does not have endpoints',
    'server {',
    `    listen ${addr}:${port} default_server;`,
    '    set $proxy_upstream_name "internal";',
    '    access_log off;',
    '',
    '    location = /healthz {',
    '        return 200;',
    '    }',
    '',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
    '',
  ];
}

/** checksumToken: replaced by the config's checksum once the whole text is known (nginx-conf.ts) */
export function renderStatusServer(env: RenderEnv, checksumToken: string): string[] {
  const addr = nginxListenAddress(env.statusAddress, 'status address');
  const port = nginxInt(env.ports.status, 'status port', 1, 65535);
  // the request body must fit in memory and in the shared dict; 1 MiB of headroom as upstream
  const bodySize = `${nginxInt(env.configurationDictMiB + 1, 'configuration dict size', 2, 1025)}m`;
  return [
    '# status server: health, stats and the configuration endpoint; never reachable from outside',
    'server {',
    `    listen ${addr}:${port};`,
    '    set $proxy_upstream_name "internal";',
    // one request per connection: each probe after a reload reaches a current worker
    '    keepalive_timeout 0;',
    '    gzip off;',
    '    access_log off;',
    '',
    '    location = /healthz {',
    `        add_header X-Config-Checksum "${checksumToken}" always;`,
    `        return 200 "${checksumToken}\\n";`,
    '    }',
    '',
    '    location = /nginx_status {',
    '        stub_status on;',
    '    }',
    '',
    '    location = /is-dynamic-lb-initialized {',
    '        content_by_lua_block {',
    '            require("svclab").is_initialized()',
    '        }',
    '    }',
    '',
    '    location /configuration {',
    `        client_max_body_size    ${bodySize};`,
    `        client_body_buffer_size ${bodySize};`,
    '        proxy_buffering         off;',
    '        content_by_lua_block {',
    '            require("svclab").configuration()',
    '        }',
    '    }',
    '',
    '    location = /metrics-data {',
    '        content_by_lua_block {',
    '            require("svclab").metrics()',
    '        }',
    '    }',
    '',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
    '',
  ];
}
