import { describe, expect, it } from 'vitest';
import { decodeProtobufBody } from '../src/apiserver/protobuf/decode.js';

// a minimal protobuf writer, enough to build the bodies kubectl sends
const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return out;
};
const field = (num: number, value: number | bigint | boolean | string | Buffer | number[]): number[] => {
  if (typeof value === 'string' || Buffer.isBuffer(value) || Array.isArray(value)) {
    const bytes = Array.isArray(value) ? value : [...Buffer.from(value)];
    return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
  }
  return [...varint(num << 3), ...varint(typeof value === 'boolean' ? Number(value) : value)];
};
const entry = (k: string, v: string | Buffer) => [...field(1, k), ...field(2, v)];
const envelope = (apiVersion: string, kind: string, raw: number[]) =>
  Buffer.from([0x6b, 0x38, 0x73, 0x00, ...field(1, [...field(1, apiVersion), ...field(2, kind)]), ...field(2, raw), ...field(3, ''), ...field(4, '')]);
const meta = (name: string, extra: number[] = []) => field(1, [...field(1, name), ...field(2, ''), ...field(3, ''), ...field(8, []), ...extra]);

describe('protobuf request bodies (kubectl create)', () => {
  it('decodes a ConfigMap and a Secret: maps, bytes as base64, zero values dropped as omitempty', () => {
    const cm = decodeProtobufBody(envelope('v1', 'ConfigMap', [...meta('c1', [...field(11, entry('app', 'x'))]), ...field(2, entry('a', 'b')), ...field(2, entry('x', 'y'))]));
    expect(cm).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', labels: { app: 'x' } }, data: { a: 'b', x: 'y' } });
    const secret = decodeProtobufBody(envelope('v1', 'Secret', [...meta('tls'), ...field(2, entry('tls.key', Buffer.from([0, 1, 2, 255]))), ...field(3, 'kubernetes.io/tls')]));
    expect(secret).toMatchObject({ type: 'kubernetes.io/tls', data: { 'tls.key': 'AAEC/w==' } });
  });

  it('decodes a Service with IntOrString targetPorts and a Deployment keeping replicas: 0', () => {
    const port = (name: string, p: number, target: number[]) => field(1, [...field(1, name), ...field(2, 'TCP'), ...field(3, p), ...field(4, target), ...field(5, 0)]);
    const svc = decodeProtobufBody(envelope('v1', 'Service', [...meta('web'), ...field(2, [
      ...port('http', 80, [...field(1, 0), ...field(2, 8080)]), ...port('named', 81, [...field(1, 1), ...field(3, 'web')]),
      ...field(2, entry('app', 'web')), ...field(3, ''), ...field(4, 'NodePort')])]));
    expect(svc).toMatchObject({ spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }, { name: 'named', port: 81, targetPort: 'web' }] } });
    expect((svc.spec as { ports: object[] }).ports[0]).not.toHaveProperty('nodePort');
    const time = field(8, [...field(1, 1_700_000_000), ...field(2, 0)]);
    const deploy = decodeProtobufBody(envelope('apps/v1', 'Deployment', [...meta('d', time), ...field(2, [...field(1, 0), ...field(2, [...field(1, entry('app', 'd'))])])]));
    expect(deploy).toMatchObject({ metadata: { name: 'd', creationTimestamp: '2023-11-14T22:13:20Z' }, spec: { replicas: 0, selector: { matchLabels: { app: 'd' } } } });
  });

  it('refuses kinds it cannot decode with a clear 415', () => {
    expect(() => decodeProtobufBody(envelope('batch/v1', 'Job', []))).toThrow(/protobuf is decoded for Namespace, ConfigMap, Secret, ServiceAccount, Service, Deployment, Ingress, IngressClass; not Job/);
  });
});
