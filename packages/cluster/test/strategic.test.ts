import { describe, expect, it } from 'vitest';
import { strategicMergePatch } from '../src/apiserver/strategic.js';

const deployment = {
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'] },
  spec: {
    replicas: 3,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
          { name: 'sidecar', image: 'busybox', imagePullPolicy: 'IfNotPresent' },
        ],
        tolerations: [{ key: 'x', operator: 'Exists' }],
      },
    },
  },
};

describe('strategic merge patch', () => {
  it('merges containers by name and keeps what the patch does not mention (kubectl apply)', () => {
    const patch = {
      spec: {
        replicas: 5,
        template: { spec: {
          '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'nginx' }],
          containers: [{ name: 'nginx', image: 'nginx:1.27', env: [{ name: 'B', value: '3' }] }],
        } },
      },
    };
    const out = strategicMergePatch('Deployment', deployment, patch) as typeof deployment;
    expect(out.spec.replicas).toBe(5);
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'nginx']);
    const nginx = out.spec.template.spec.containers[1]!;
    expect(nginx.image).toBe('nginx:1.27');
    expect(nginx.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(nginx.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '3' }]);
    expect(out.spec.template.spec.containers[0]).toEqual({ name: 'sidecar', image: 'busybox', imagePullPolicy: 'IfNotPresent' });
  });

  it('deletes list items with $patch: delete, replaces lists without a merge key, unions finalizers', () => {
    const out = strategicMergePatch('Deployment', deployment, {
      metadata: { finalizers: ['b', 'a'] },
      spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }], tolerations: [{ key: 'y', operator: 'Exists' }] } } },
    }) as typeof deployment;
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['nginx']);
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
  });

  it('merges Service ports by port, removes keys set to null, honours $retainKeys and $deleteFromPrimitiveList', () => {
    const svc = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }], selector: { app: 'a', tier: 'b' } }, metadata: { finalizers: ['x', 'y'] } };
    const out = strategicMergePatch('Service', svc, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] },
      spec: { ports: [{ port: 80, targetPort: 9090 }], selector: { tier: null } },
    }) as any;
    expect(out.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 9090 }, { name: 'https', port: 443 }]);
    expect(out.spec.selector).toEqual({ app: 'a' });
    expect(out.metadata.finalizers).toEqual(['y']);
    const vol = strategicMergePatch('Pod', { spec: { volumes: [{ name: 'v', emptyDir: {} }] } }, { spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } }) as any;
    expect(vol.spec.volumes).toEqual([{ name: 'v', hostPath: { path: '/x' } }]);
  });
});
