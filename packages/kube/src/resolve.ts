// Module paths for spawning our own programs (`node --import <tsx> <file>`). createRequire's resolver
// rather than import.meta.resolve, which vitest's module runner does not provide.
import { createRequire } from 'node:module';

export function resolveModule(specifier: string, from: string): string {
  return createRequire(from).resolve(specifier);
}
