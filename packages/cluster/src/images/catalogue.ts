// The image catalogue: there is no container runtime, so an image name maps to what a container of
// that image runs inside the pod's namespaces. Unknown images are an ErrImagePull, never a fallback.
import { coredns } from './coredns.js';
import { echoNginx } from './echo-nginx.js';
import { ingressNginx } from './ingress-nginx.js';
import { kubeProxy } from './kube-proxy.js';
import { nginx } from './nginx.js';
import { tools } from './tools.js';

export interface ContainerContext {
  podName: string;
  /** a private folder for this container's generated files */
  dir: string;
  env: Record<string, string>;
}

export interface Image {
  /** repository as users write it, without tag (docker.io/ and library/ prefixes are accepted) */
  repository: string;
  description: string;
  /** argv when the pod gives neither command nor args (ENTRYPOINT + CMD) */
  entrypoint: string[];
  cmd: string[];
  /** executables the image ships that are ours rather than the host's, by path and by name */
  executables?: (ctx: ContainerContext) => Record<string, string[]>;
  /** prepares generated files before the process starts (e.g. a config) */
  prepare?: (ctx: ContainerContext) => Promise<void>;
  /** TCP ports the image serves once it is up: the container counts as started when they listen */
  listens?: (ctx: ContainerContext) => number[];
  /** folders of the image each pod gets its own writable copy of, seeded with the host's content */
  privateDirs?: string[];
  /** whether host programs (sh, curl, …) stand in for the image's userland */
  hostUserland: boolean;
}

const images: Image[] = [nginx, echoNginx, tools, kubeProxy, ingressNginx, coredns];

export function normaliseRepository(image: string): string {
  let ref = image.split('@')[0]!;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  return ref.replace(/^docker\.io\//, '').replace(/^library\//, '');
}

export function findImage(image: string): Image | undefined {
  const repo = normaliseRepository(image);
  return images.find((i) => i.repository === repo);
}

export function catalogueNames(): string[] {
  return images.map((i) => i.repository);
}

/** kubelet's message for an image it cannot pull, naming what the catalogue offers instead. */
export function pullErrorMessage(image: string): string {
  return `Failed to pull image "${image}": svclab runs no container runtime and has no registry access; ` +
    `"${normaliseRepository(image)}" is not in its image catalogue (${catalogueNames().join(', ')})`;
}
