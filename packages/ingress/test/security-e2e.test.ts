// Issue 5's security proof: every hostile input of the corpus (≥ 200: hosts, paths, names, annotation
// values, Secret data carrying `;`, `{`, `}`, quotes, newlines, `$`, `#`, load_module, *_by_lua, js_*,
// file paths) is applied through the API; the controller either refuses the Ingress with a reason,
// or the configuration the real `nginx -T` prints has exactly the directive shape of a benign twin,
// with the value confined to one quoted argument. A second pass feeds the same objects to the
// builder directly, as a crafted AdmissionReview would, skipping the API server's validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../cluster/test/apiserver-harness.js';
import { readSettings } from '../src/controller/settings.js';
import { buildFromSnapshot } from '../src/controller/model-builder.js';
import { renderEnvFor } from '../src/render/env.js';
import { renderNginxConf } from '../src/render/nginx-conf.js';
import { checkHostileRender, type Render, type RenderResult, type Verdict } from './security/check.js';
import { HOSTILE_INPUTS } from './security/hostile-inputs.js';
import { isIngress, isIngressClass, isSecret, type KubeObject } from './security/manifests.js';
import { CONTROLLER_FLAGS, ThroughApi } from './security/through-api.js';

const summary = (verdicts: Verdict[]) => {
  const counts = { rejected: 0, rendered: 0, failed: 0 };
  for (const v of verdicts) counts[v.ok ? v.outcome : 'failed']++;
  return counts;
};
const failures = (verdicts: Verdict[]) => verdicts.filter((v) => !v.ok).map((v) => `${v.id}: ${(v as { problems: string[] }).problems.join(' | ')}`);

describe('hostile inputs through the API, the controller and nginx -T', () => {
  let api: Awaited<ReturnType<typeof startApiServer>>;
  let through: ThroughApi;
  beforeAll(async () => {
    api = await startApiServer();
    through = new ThroughApi(api.kc);
    await through.start();
  });
  afterAll(async () => { await through?.stop(); await api?.close(); });

  it(`none of the ${HOSTILE_INPUTS.length} inputs adds a directive: each is refused with a reason or confined to a quoted argument`, async () => {
    expect(HOSTILE_INPUTS.length).toBeGreaterThanOrEqual(200);
    const cache = new Map<string, RenderResult>();
    const verdicts: Verdict[] = [];
    for (const entry of HOSTILE_INPUTS) verdicts.push(await checkHostileRender(entry, through.render, { cache }));
    expect(failures(verdicts)).toEqual([]);
    const counts = summary(verdicts);
    console.log(`through the API: ${counts.rejected} refused (API server or controller), ${counts.rendered} rendered safely, ${counts.failed} failed`);
    // the controller itself must have refused some (not only the API server's validation)
    expect(verdicts.filter((v) => v.ok && v.outcome === 'rejected' && !v.reason.startsWith('apiserver:')).length).toBeGreaterThan(50);
  }, 240_000);
});

describe('hostile inputs straight to the builder (a crafted AdmissionReview skips the API server)', () => {
  it('every input is refused or rendered with the benign shape', async () => {
    const env = renderEnvFor('/nonexistent-state-dir');
    const render: Render = (objects: KubeObject[]) => {
      const snap = {
        ingresses: objects.filter(isIngress).map((o, i) => ({ ...o, metadata: { uid: `uid-${i}`, creationTimestamp: new Date(0), ...o.metadata } })),
        ingressClasses: objects.filter(isIngressClass), services: objects.filter((o) => o.kind === 'Service'),
        endpointSlices: [], secrets: objects.filter(isSecret),
      } as never;
      const { model } = buildFromSnapshot(snap, CONTROLLER_FLAGS, readSettings(undefined, () => undefined));
      return model.rejected[0] ?? renderNginxConf(model, env);
    };
    const cache = new Map<string, RenderResult>();
    const verdicts: Verdict[] = [];
    for (const entry of HOSTILE_INPUTS) verdicts.push(await checkHostileRender(entry, render, { cache }));
    expect(failures(verdicts)).toEqual([]);
    expect(summary(verdicts).failed).toBe(0);
  });
});
