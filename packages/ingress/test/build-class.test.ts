// Which Ingresses the controller takes: the others are ignored, never rejected.
import { describe, expect, it } from 'vitest';
import { A, build, ingressClass, simple } from './build-fixtures.js';

const hosts = (m: ReturnType<typeof build>) => m.servers.map((s) => s.hostname).filter((h) => h !== '_');
const legacy = (value: string) => ({ className: null, annotations: { 'kubernetes.io/ingress.class': value } });

describe('ingress class selection', () => {
  const nginx = ingressClass('nginx');
  const other = ingressClass('traefik', 'traefik.io/ingress-controller');

  it('takes an Ingress whose ingressClassName names an IngressClass of our controller', () => {
    const m = build({ ingresses: [simple('a', 'a.example.com', '/', 's', 80, { className: 'nginx-example' })], ingressClasses: [ingressClass('nginx-example')] });
    expect(hosts(m)).toEqual(['a.example.com']);
  });

  it('ignores an Ingress of another controller\'s class, or of a class that does not exist', () => {
    const m = build({
      ingresses: [simple('a', 'a.example.com', '/', 's', 80, { className: 'traefik' }), simple('b', 'b.example.com', '/', 's', 80, { className: 'missing' })],
      ingressClasses: [nginx, other],
    });
    expect(hosts(m)).toEqual([]);
    expect(m.rejected).toEqual([]);
  });

  it('takes ingressClassName equal to --ingress-class even without an IngressClass object (by name)', () => {
    expect(hosts(build({ ingresses: [simple('a', 'a.example.com', '/', 's', 80, { className: 'nginx' })], ingressClasses: [] }))).toEqual(['a.example.com']);
  });

  it('lets ingressClassName win over the kubernetes.io/ingress.class annotation', () => {
    const ing = simple('a', 'a.example.com', '/', 's', 80, { className: 'traefik', annotations: { 'kubernetes.io/ingress.class': 'nginx' } });
    expect(hosts(build({ ingresses: [ing], ingressClasses: [nginx, other] }))).toEqual([]);
  });

  it('takes the legacy annotation when it equals --ingress-class, and ignores other values even when watching class-less Ingresses', () => {
    const m = build(
      { ingresses: [simple('a', 'a.example.com', '/', 's', 80, legacy('nginx')), simple('b', 'b.example.com', '/', 's', 80, legacy('traefik'))] },
      { watchIngressWithoutClass: true },
    );
    expect(hosts(m)).toEqual(['a.example.com']);
  });

  it('ignores an Ingress without any class unless --watch-ingress-without-class or our IngressClass is the default', () => {
    const ing = simple('a', 'a.example.com', '/', 's', 80, { className: null });
    expect(hosts(build({ ingresses: [ing], ingressClasses: [nginx] }))).toEqual([]);
    expect(hosts(build({ ingresses: [ing], ingressClasses: [nginx] }, { watchIngressWithoutClass: true }))).toEqual(['a.example.com']);
    expect(hosts(build({ ingresses: [ing], ingressClasses: [ingressClass('nginx', 'k8s.io/ingress-nginx', true)] }))).toEqual(['a.example.com']);
    expect(hosts(build({ ingresses: [ing], ingressClasses: [nginx, ingressClass('traefik', 'traefik.io/ingress-controller', true)] }))).toEqual([]);
  });

  it('follows --ingress-class and --controller-class', () => {
    const internal = ingressClass('internal', 'example.com/internal');
    const m = build(
      { ingresses: [simple('a', 'a.example.com', '/', 's', 80, { className: 'internal' }), simple('b', 'b.example.com', '/', 's', 80), simple('c', 'c.example.com', '/', 's', 80, legacy('internal'))], ingressClasses: [nginx, internal] },
      { ingressClass: 'internal', controllerClass: 'example.com/internal' },
    );
    expect(hosts(m)).toEqual(['a.example.com', 'c.example.com']);
  });

  it('does not even validate an Ingress that is not ours: no rejection for its bad values', () => {
    const hostile = simple('evil', 'evil.example.com', '/', 's', 80, { className: 'traefik', annotations: { [`${A}configuration-snippet`]: 'load_module /tmp/x.so;' } });
    expect(build({ ingresses: [hostile], ingressClasses: [nginx, other] }).rejected).toEqual([]);
  });
});
