// From the informers' snapshot to the model (build/), plus the Ingresses the controller took on: ours
// by class and not refused — the ones whose status it keeps and which get a "Sync" Event.
import type { V1Ingress } from '@kubernetes/client-node';
import { buildModel } from '../build/build.js';
import { isOurs } from '../build/ingress-class.js';
import type { ModelBuilder } from './controller.js';

export const buildFromSnapshot: ModelBuilder = (snap, flags, settings) => {
  const options = {
    ingressClass: flags.ingressClass, controllerClass: flags.controllerClass, watchIngressWithoutClass: flags.watchIngressWithoutClass,
    defaultBackendService: flags.defaultBackendService, defaults: settings.defaults,
  };
  const model = buildModel(snap, options);
  const refused = new Set(model.rejected.map((r) => `${r.ingress.namespace}/${r.ingress.name}`));
  const accepted = snap.ingresses.filter((i: V1Ingress) => isOurs(i, snap.ingressClasses, options) && !refused.has(`${i.metadata?.namespace}/${i.metadata?.name}`));
  return { model, accepted };
};
