// Decodes Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf: "k8s\0" + a
// runtime.Unknown wrapping the object) into the JSON form the rest of the apiserver handles.
import { ApiError } from '../errors.js';
import { MESSAGES } from './schema.js';

type Json = Record<string, unknown>;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The message for each kind kubectl sends as protobuf. */
const KINDS: Record<string, string> = {
  Namespace: 'core.Namespace', ConfigMap: 'core.ConfigMap', Secret: 'core.Secret', ServiceAccount: 'core.ServiceAccount',
  Service: 'core.Service', Deployment: 'apps.Deployment', Ingress: 'networking.Ingress', IngressClass: 'networking.IngressClass',
};

/** Fields Go embeds, whose members appear at the parent's level in JSON. */
const INLINE = new Set(['core.Probe.handler', 'core.Volume.volumeSource', 'runtime.Unknown.typeMeta', 'networking.IngressRule.ingressRuleValue', '*.localObjectReference']);

/**
 * gogo-protobuf writes every non-pointer field, zero or not, so zero values are dropped as Go's
 * `omitempty` would; these pointer fields are written only when set, so their zero values stay.
 */
const KEEP_ZERO = new Set(['replicas', 'revisionHistoryLimit', 'terminationGracePeriodSeconds', 'automountServiceAccountToken', 'enableServiceLinks',
  'immutable', 'allocateLoadBalancerNodePorts', 'progressDeadlineSeconds', 'activeDeadlineSeconds', 'runAsUser', 'runAsGroup', 'runAsNonRoot', 'privileged', 'readOnlyRootFilesystem', 'defaultMode']);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done() { return this.pos >= this.buf.length; }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + n);
    if (out.length !== n) throw new Error('truncated field');
    this.pos += n;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function scalar(type: string, r: Reader, wireType: number): unknown {
  switch (type) {
    case 'string': return r.bytes().toString('utf8');
    case 'bytes': return r.bytes().toString('base64');
    case 'bool': return r.varint() !== 0n;
    case 'int32': return Number(BigInt.asIntN(32, r.varint()));
    case 'int64': return Number(BigInt.asIntN(64, r.varint()));
    case 'uint32': case 'uint64': return Number(r.varint());
    case 'double': { const v = r.buf.readDoubleLE(r.pos); r.pos += 8; return v; }
    case 'float': { const v = r.buf.readFloatLE(r.pos); r.pos += 4; return v; }
    default: r.skip(wireType); return undefined;
  }
}

const isScalar = (t: string) => !t.includes('.') && !t.startsWith('map<');

/** Well-known types with their own JSON form. */
function special(type: string, buf: Buffer): { value: unknown } | undefined {
  if (type === 'meta.Time' || type === 'meta.MicroTime') {
    const t = decodeMessage('meta.TimeRaw', buf) as { seconds?: number; nanos?: number };
    if (!t.seconds && !t.nanos) return { value: undefined };
    const iso = new Date((t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
    return { value: type === 'meta.Time' ? iso.replace(/\.\d+Z$/, 'Z') : iso.replace(/Z$/, '000Z') };
  }
  if (type === 'intstr.IntOrString') {
    const v = decodeMessage('intstr.IntOrString', buf, false) as { type?: number; intVal?: number; strVal?: string };
    return { value: v.type === 1 ? v.strVal ?? '' : v.intVal ?? 0 };
  }
  if (type === 'resource.Quantity') return { value: new Reader(buf).done ? '0' : decodeMessage('resource.Quantity', buf, false).string };
  if (type === 'meta.FieldsV1') {
    const raw = decodeMessage('meta.FieldsV1', buf, false).Raw as string | undefined;
    return { value: raw ? JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) : {} };
  }
  return undefined;
}

const TIME_RAW = { 1: ['seconds', 'int64'], 2: ['nanos', 'int32'] } as const;

export function decodeMessage(type: string, buf: Buffer, prune = true): Json {
  const fields = type === 'meta.TimeRaw' ? (TIME_RAW as unknown as (typeof MESSAGES)[string]) : MESSAGES[type];
  const out: Json = {};
  if (!fields) return out;
  const r = new Reader(buf);
  while (!r.done) {
    const key = r.varint();
    const num = Number(key >> 3n);
    const wireType = Number(key & 7n);
    const def = fields[num];
    if (!def) { r.skip(wireType); continue; }
    const [name, ftype, repeated] = def;
    if (ftype.startsWith('map<')) {
      const [kt, vt] = ftype.slice(4, -1).split(',') as [string, string];
      const entry = new Reader(r.bytes());
      let k: unknown = '';
      let v: unknown = isScalar(vt) ? (vt === 'string' || vt === 'bytes' ? '' : 0) : {};
      while (!entry.done) {
        const ek = entry.varint();
        const en = Number(ek >> 3n);
        if (en === 1) k = scalar(kt, entry, Number(ek & 7n));
        else if (en === 2) v = isScalar(vt) ? scalar(vt, entry, Number(ek & 7n)) : decodeValue(vt, entry.bytes());
        else entry.skip(Number(ek & 7n));
      }
      ((out[name] ??= {}) as Json)[String(k)] = v;
      continue;
    }
    if (isScalar(ftype)) {
      // repeated numbers may come packed in one length-delimited field
      if (repeated && wireType === 2 && ftype !== 'string' && ftype !== 'bytes') {
        const packed = new Reader(r.bytes());
        while (!packed.done) ((out[name] ??= []) as unknown[]).push(scalar(ftype, packed, 0));
        continue;
      }
      const v = scalar(ftype, r, wireType);
      if (repeated) ((out[name] ??= []) as unknown[]).push(v);
      else out[name] = v;
      continue;
    }
    const value = decodeValue(ftype, r.bytes());
    if (INLINE.has(`${type}.${name}`) || INLINE.has(`*.${name}`)) { Object.assign(out, value); continue; }
    if (repeated) ((out[name] ??= []) as unknown[]).push(value);
    else if (value !== undefined) out[name] = value;
  }
  if (prune) {
    for (const [k, v] of Object.entries(out)) {
      if (v === '' || (v === false || v === 0 ? !KEEP_ZERO.has(k) : false) || (Array.isArray(v) && v.length === 0)) delete out[k];
    }
  }
  return out;
}

function decodeValue(type: string, buf: Buffer): unknown {
  const s = special(type, buf);
  return s ? s.value : decodeMessage(type, buf);
}

export function decodeProtobufBody(body: Buffer): Json {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ApiError(400, 'BadRequest', 'the body of the request was in an unknown format: protobuf body without the k8s magic prefix');
  }
  const unknown = decodeMessage('runtime.Unknown', body.subarray(4), false) as { apiVersion?: string; kind?: string; raw?: string };
  const message = unknown.kind ? KINDS[unknown.kind] : undefined;
  if (!message) {
    throw new ApiError(415, 'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is decoded for ${Object.keys(KINDS).join(', ')}; not ${unknown.kind ?? 'this kind'})`);
  }
  const obj = decodeMessage(message, Buffer.from(unknown.raw ?? '', 'base64'));
  return { apiVersion: unknown.apiVersion, kind: unknown.kind, ...obj };
}
