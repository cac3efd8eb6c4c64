// Which Ingresses are ours, as upstream's store decides (GetIngressClass and the IngressClass
// informer filter): an Ingress that is not ours is ignored, never rejected.
import type { V1Ingress, V1IngressClass } from '@kubernetes/client-node';

export interface ClassOptions {
  /** --ingress-class: the kubernetes.io/ingress.class annotation value, and a class name accepted by name */
  ingressClass: string;
  /** --controller-class: the spec.controller of our IngressClasses */
  controllerClass: string;
  /** --watch-ingress-without-class */
  watchIngressWithoutClass: boolean;
}

const LEGACY_ANNOTATION = 'kubernetes.io/ingress.class';
const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export function isOurs(ing: V1Ingress, classes: readonly V1IngressClass[], o: ClassOptions): boolean {
  const ours = classes.filter((c) => c.spec?.controller === o.controllerClass);
  const className = ing.spec?.ingressClassName;
  // spec.ingressClassName wins over the annotation, as upstream: naming another controller's class is final
  if (className) return className === o.ingressClass || ours.some((c) => c.metadata?.name === className);
  const annotation = ing.metadata?.annotations?.[LEGACY_ANNOTATION];
  if (annotation !== undefined) return annotation === o.ingressClass;
  // no class at all: ours when asked to watch such Ingresses, or when one of our classes is the
  // cluster default (what the apiserver's DefaultIngressClass admission would have written)
  return o.watchIngressWithoutClass || ours.some((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
}
