// Reading request bodies as kube-apiserver does: at most 3 MiB (413 beyond), JSON, YAML or Kubernetes
// protobuf by Content-Type, and a 400 for anything that does not decode, never a crash.
import type { IncomingMessage } from 'node:http';
import yaml from 'js-yaml';
import { ApiError, badRequest } from './errors.js';
import { decodeProtobufBody } from './protobuf/decode.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) { req.resume(); throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`); }
    chunks.push(c as Buffer);
  }
  const body = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/vnd.kubernetes.protobuf')) {
    try { return decodeProtobufBody(body); } catch (e) {
      if (e instanceof ApiError) throw e;
      throw badRequest(`the object provided is unrecognized (must be of type protobuf): ${(e as Error).message}`);
    }
  }
  const text = body.toString('utf8');
  if (!text) return undefined;
  try {
    return type.startsWith('application/yaml') || type.startsWith('application/apply-patch+yaml') ? yaml.load(text, { schema: yaml.JSON_SCHEMA }) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`the object provided is unrecognized (must be of type ${type.includes('yaml') ? 'YAML' : 'JSON'}): ${(e as Error).message.split('\n')[0]}`);
  }
}
