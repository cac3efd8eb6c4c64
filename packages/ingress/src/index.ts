// The ingress controller is not built yet (see README.md); this module exports nothing on purpose.
export {};
