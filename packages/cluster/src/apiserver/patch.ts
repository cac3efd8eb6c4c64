// RFC 7386 JSON merge patch and RFC 6902 JSON patch (client-node's default patch type).
import { ApiError, badRequest } from './errors.js';

type Json = unknown;

export function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, Json> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, Json>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Op { op: string; path: string; value?: Json; from?: string }

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

function parent(doc: Json, path: string): [Record<string, Json> | Json[], string] {
  const parts = path.split('/').slice(1).map(unescape);
  const last = parts.pop();
  if (last === undefined) throw badRequest(`invalid JSON patch path "${path}"`);
  let cur: any = doc;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) {
      throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}"`);
    }
    cur = cur[p];
  }
  return [cur, last];
}

export function jsonPatch(doc: Json, ops: Op[]): Json {
  const root = { doc: structuredClone(doc) };
  for (const op of ops) {
    if (!op || typeof op !== 'object' || typeof op.op !== 'string' || typeof op.path !== 'string' || (op.path && !op.path.startsWith('/'))) {
      throw badRequest(`invalid JSON patch operation: ${JSON.stringify(op)?.slice(0, 200)}`);
    }
    const path = '/doc' + op.path;
    const [p, key] = parent(root, path);
    const get = () => (Array.isArray(p) ? p[key === '-' ? p.length - 1 : Number(key)] : (p as Record<string, Json>)[key]);
    switch (op.op) {
      case 'add':
        if (Array.isArray(p)) p.splice(key === '-' ? p.length : Number(key), 0, op.value);
        else (p as Record<string, Json>)[key] = op.value;
        break;
      case 'replace':
        if (get() === undefined) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: ${op.path}`);
        if (Array.isArray(p)) p[Number(key)] = op.value;
        else (p as Record<string, Json>)[key] = op.value;
        break;
      case 'remove':
        if (get() === undefined) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: "${op.path}"`);
        if (Array.isArray(p)) p.splice(Number(key), 1);
        else delete (p as Record<string, Json>)[key];
        break;
      case 'test':
        if (JSON.stringify(get()) !== JSON.stringify(op.value)) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${op.path} failed`);
        break;
      default:
        throw badRequest(`unsupported JSON patch operation "${op.op}"`);
    }
  }
  return root.doc;
}
