// apimachinery's duration.HumanDuration, the AGE column of kubectl and the server-side tables.
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) { const d = Math.floor(hours / 24) % 365; return d === 0 ? `${years}y` : `${years}y${d}d`; }
  return `${years}y`;
}

/** kubectl's translateTimestampSince: "<unknown>" for a missing timestamp. */
export function age(ts: Date | string | undefined, now = Date.now()): string {
  if (!ts) return '<unknown>';
  return humanDuration(now - new Date(ts).getTime());
}
