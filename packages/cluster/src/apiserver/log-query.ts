// The query of GET pods/<name>/log (PodLogOptions) as kubelet reads it: follow, tailLines,
// sinceSeconds or sinceTime, timestamps, limitBytes; bad values refused as the apiserver does.
import type { LogOptions } from './kubelet.js';
import { ApiError } from './errors.js';

function invalid(pod: string, field: string, value: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `PodLogOptions "${pod}" is invalid: ${field}: Invalid value: ${value}: ${message}`);
}

function integer(q: URLSearchParams, pod: string, field: string, min: number, message: string): number | undefined {
  const v = q.get(field);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw new ApiError(400, 'BadRequest', `strconv.ParseInt: parsing "${v}": invalid syntax`);
  const n = Number(v);
  if (n < min) throw invalid(pod, field, v, message);
  return n;
}

export function logQuery(q: URLSearchParams, pod: string, now = Date.now()): Omit<LogOptions, 'container'> {
  const tailLines = integer(q, pod, 'tailLines', 0, 'must be greater than or equal to 0');
  const limitBytes = integer(q, pod, 'limitBytes', 1, 'must be greater than 0');
  const sinceSeconds = integer(q, pod, 'sinceSeconds', 1, 'must be greater than 0');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== null) throw new ApiError(422, 'Invalid', `PodLogOptions "${pod}" is invalid: sinceSeconds: Forbidden: at most one of \`sinceTime\` or \`sinceSeconds\` may be specified`);
  let since: number | undefined;
  if (sinceSeconds !== undefined) since = now - sinceSeconds * 1000;
  if (sinceTime !== null) {
    since = Date.parse(sinceTime);
    if (Number.isNaN(since)) throw new ApiError(400, 'BadRequest', `parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTime}" as "2006"`);
  }
  return { follow: q.get('follow') === 'true', tailLines, limitBytes, since, timestamps: q.get('timestamps') === 'true' };
}
