// amsy810/tools: a toolbox image (curl, dig, nslookup, wget, sh); its userland is the host's.
import type { Image } from './catalogue.js';

export const tools: Image = {
  repository: 'amsy810/tools',
  description: 'toolbox: curl, dig, nslookup, wget, sh',
  entrypoint: [],
  cmd: ['sleep', 'infinity'],
  hostUserland: true,
};
