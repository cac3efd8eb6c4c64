// Narration for a terminal (commands as the tutorials print them, `# kubectl …`) and a silent one for tests.
import type { Narrator } from './scenario.js';

export function consoleNarrator(write: (s: string) => void = (s) => process.stdout.write(s + '\n')): Narrator {
  const tty = process.stdout.isTTY;
  const c = (code: string, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    command: (t) => write(c('1', `# ${t}`)),
    output: (t) => write(t),
    ok: (t) => write(c('32', ` ✓ ${t}`)),
    say: (t) => write(c('36', t)),
  };
}

export function recordingNarrator(lines: string[] = []): Narrator & { lines: string[] } {
  return { lines, command: (t) => lines.push(`# ${t}`), output: (t) => lines.push(t), ok: (t) => lines.push(` ✓ ${t}`), say: (t) => lines.push(t) };
}
