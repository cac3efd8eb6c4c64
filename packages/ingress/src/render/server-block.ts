// One model Server → one nginx `server`. Every server listens on http and https, as ingress-nginx
// does: a host without TLS in its Ingress still answers https with the fake certificate. The
// catch-all `_` is default_server on both ports, so an unknown Host or SNI lands there.

import { CATCH_ALL, DEFAULT_BACKEND, type IngressModel, type Location, type Server } from '../model.js';
import { certificateFile, type RenderEnv } from './env.js';
import { renderLocation } from './location-block.js';
import { fileComponent, nginxInt, nginxListenAddress, NginxValueError, quotePath, quoteScript } from './quote.js';
import { serverNameArg } from './server-name.js';

function indent(lines: string[]): string[] {
  return lines.map((l) => (l === '' ? '' : `    ${l}`));
}

function listens(server: Server, env: RenderEnv): string[] {
  // options valid once per address:port go on the catch-all, as ingress-nginx's commonListenOptions:
  // reuseport (its reuse-port default) gives each worker its own socket, so the kernel spreads
  // connections evenly instead of one worker accepting a burst of them (multi_accept)
  const def = server.hostname === CATCH_ALL ? ' default_server reuseport' : '';
  const http = nginxInt(env.ports.http, 'http port', 1, 65535);
  const https = nginxInt(env.ports.https, 'https port', 1, 65535);
  return env.bind.flatMap((a) => {
    const addr = nginxListenAddress(a, 'bind address');
    return [`listen ${addr}:${http}${def};`, `listen ${addr}:${https} ssl http2${def};`];
  });
}

/** the PEM file this server presents: its Secret's certificate, or the fake one */
function certificatePath(server: Server, model: IngressModel, env: RenderEnv): string {
  const tls = server.tls;
  if (tls === undefined || tls.certificate === 'default') return env.paths.defaultCertificate;
  const id = fileComponent(tls.certificate, `certificate id of ${server.hostname}`);
  if (!model.certificates.some((c) => c.id === id)) {
    throw new NginxValueError(`server ${server.hostname} names certificate ${id}, which is not in the model's certificates`);
  }
  return certificateFile(env, id);
}

/** a location for `/` to the default backend, for a server whose Ingresses do not cover `/` */
function defaultRootLocation(env: RenderEnv): Location {
  return { path: '/', pathType: 'Prefix', regex: false, backend: DEFAULT_BACKEND, config: env.defaults };
}

function coversRoot(server: Server): boolean {
  return server.locations.some((l) => !l.regex && l.path === '/' && l.pathType !== 'Exact');
}

export function renderServer(server: Server, model: IngressModel, env: RenderEnv): string[] {
  const name = serverNameArg(server.hostname);
  const cert = quotePath(certificatePath(server, model, env), `certificate file of ${server.hostname}`);
  const seen = new Set<string>();
  const locations = coversRoot(server) ? server.locations : [...server.locations, defaultRootLocation(env)];
  const tlsNote =
    server.tls === undefined ? 'no TLS in its Ingresses: fake certificate'
    : server.tls.certificate === 'default' ? 'TLS Secret unusable: fake certificate'
    : `certificate ${server.tls.certificate}`;
  return [
    `## start server ${name}`,
    'server {',
    ...indent([
      `server_name ${name};`,
      ...listens(server, env),
      '',
      'set $proxy_upstream_name "-";',
      `set $ingress_host ${quoteScript(server.hostname, 'server hostname')};`,
      '',
      `# ${tlsNote}`,
      `ssl_certificate     ${cert};`,
      `ssl_certificate_key ${cert};`,
      '',
      ...locations.flatMap((l) => renderLocation(l, server, seen)),
    ]),
    '}',
    `## end server ${name}`,
    '',
  ];
}
