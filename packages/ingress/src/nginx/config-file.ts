// Getting a new nginx.conf in place without ever exposing a bad one: the text goes to a temp file
// next to the live one, `nginx -t` checks it there, and only then does an atomic rename put it
// over the live file (rename within one directory is atomic, so nginx never reads half a file).

import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

export interface CandidateConfig { file: string; discard(): Promise<void> }

export async function writeCandidate(liveFile: string, text: string): Promise<CandidateConfig> {
  const file = join(dirname(liveFile), `.nginx.conf.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(file, text, { mode: 0o600 });
  return { file, discard: () => rm(file, { force: true }) };
}

/** `nginx -t`; resolves to undefined when the config is valid, else nginx's own message */
export async function testConfig(nginx: string, prefix: string, file: string): Promise<string | undefined> {
  const r = await execa(nginx, ['-t', '-q', '-p', prefix.endsWith('/') ? prefix : `${prefix}/`, '-c', file], { reject: false });
  if (r.exitCode === 0) return undefined;
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/test failed$/.test(l));
  return lines.join('; ') || `nginx -t failed (exit ${r.exitCode ?? r.signal})`;
}

export async function install(candidate: CandidateConfig, liveFile: string): Promise<void> {
  await rename(candidate.file, liveFile);
}

/** puts `text` back as the live config (after a reload nginx refused) */
export async function restore(liveFile: string, text: string): Promise<void> {
  const c = await writeCandidate(liveFile, text);
  await install(c, liveFile);
}
