// Is this machine able to run the controller's nginx? Checked before the first start so the user
// reads "install libnginx-mod-http-lua" instead of an nginx -t error about an unknown directive.
// The check runs `nginx -t` on a tiny config that loads both modules and requires the Lua
// libraries the balancer needs, which is the only test that says they really work together.

import { mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export const DEBIAN_PACKAGES = 'nginx-light libnginx-mod-http-lua libnginx-mod-http-ndk lua-cjson';

export class NginxUnavailableError extends Error {
  override name = 'NginxUnavailableError';
}

const checked = new Map<string, Promise<string>>();

/** resolves to `nginx -v`'s version text; rejects with what to install */
export function checkNginx(nginx: string, modulesDir: string): Promise<string> {
  const key = `${nginx}\0${modulesDir}`;
  let p = checked.get(key);
  if (!p) {
    p = runChecks(nginx, modulesDir);
    p.catch(() => checked.delete(key)); // a failure is re-checked next time (after an install)
    checked.set(key, p);
  }
  return p;
}

async function runChecks(nginx: string, modulesDir: string): Promise<string> {
  const v = await execa(nginx, ['-v'], { reject: false });
  if (v.failed && v.exitCode === undefined) {
    throw new NginxUnavailableError(`nginx is not installed (could not run ${JSON.stringify(nginx)}): apt-get install ${DEBIAN_PACKAGES}`);
  }
  const version = (v.stderr || v.stdout).trim();

  for (const [file, pkg] of [
    ['ndk_http_module.so', 'libnginx-mod-http-ndk'],
    ['ngx_http_lua_module.so', 'libnginx-mod-http-lua'],
  ] as const) {
    try {
      await access(join(modulesDir, file));
    } catch {
      throw new NginxUnavailableError(
        `the nginx Lua module is missing: ${join(modulesDir, file)} not found. The ingress controller needs the Debian package ${pkg} (apt-get install ${DEBIAN_PACKAGES})`,
      );
    }
  }

  const dir = await mkdtemp(join(tmpdir(), 'svclab-nginx-check-'));
  try {
    const conf = join(dir, 'check.conf');
    await writeFile(
      conf,
      [
        `load_module ${modulesDir}/ndk_http_module.so;`,
        `load_module ${modulesDir}/ngx_http_lua_module.so;`,
        `pid ${dir}/nginx.pid;`,
        'error_log stderr;',
        'events {}',
        'http {',
        `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;`,
        `  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
        '  init_by_lua_block { require("cjson.safe"); require("ngx.balancer") }',
        '}',
        '',
      ].join('\n'),
    );
    const t = await execa(nginx, ['-t', '-q', '-p', `${dir}/`, '-c', conf], { reject: false });
    if (t.exitCode !== 0) {
      const why = t.stderr.trim();
      const hint = /cjson/.test(why) ? 'lua-cjson' : /ngx\.balancer|resty/.test(why) ? 'lua-resty-core' : 'libnginx-mod-http-lua';
      throw new NginxUnavailableError(
        `nginx cannot load the Lua module and libraries the ingress controller needs (${hint}; apt-get install ${DEBIAN_PACKAGES}): ${why}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return version;
}
