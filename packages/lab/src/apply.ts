// `kubectl apply -f` for the labs' manifests: every document created, or replaced when it exists,
// through client-node's generic object API (which finds each kind through API discovery).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { LabContext } from './scenario.js';

export async function loadManifests(path: string): Promise<KubernetesObject[]> {
  return yaml.loadAll(await readFile(path, 'utf8')).filter(Boolean) as KubernetesObject[];
}

/** Applies a manifest file; returns kubectl's lines (`deployment.apps/x created`). */
export async function applyFile(ctx: LabContext, path: string): Promise<string[]> {
  const api = KubernetesObjectApi.makeApiClient(ctx.kc);
  const lines: string[] = [];
  for (const obj of await loadManifests(path)) {
    obj.metadata!.namespace ??= ctx.namespace;
    const group = obj.apiVersion!.includes('/') ? `.${obj.apiVersion!.split('/')[0]}` : '';
    const ref = `${obj.kind!.toLowerCase()}${group}/${obj.metadata!.name}`;
    const existing = await api.read({ apiVersion: obj.apiVersion!, kind: obj.kind!, metadata: { name: obj.metadata!.name!, namespace: obj.metadata!.namespace } }).catch(() => undefined);
    if (!existing) { await api.create(obj); lines.push(`${ref} created`); continue; }
    await api.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: existing.metadata!.resourceVersion } });
    lines.push(`${ref} configured`);
  }
  return lines;
}

/** `kubectl apply -f a.yaml -f b.yaml` as the tutorial shows it: the command, then kubectl's lines. */
export async function applyNarrated(ctx: LabContext, ...paths: string[]): Promise<string[]> {
  ctx.narrate.command(`kubectl apply ${paths.map((p) => `-f ${basename(p)}`).join(' ')}`);
  const lines: string[] = [];
  for (const path of paths) lines.push(...await applyFile(ctx, path));
  ctx.narrate.output(lines.join('\n'));
  return lines;
}
