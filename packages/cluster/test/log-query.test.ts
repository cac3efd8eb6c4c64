import { describe, expect, it } from 'vitest';
import { logQuery } from '../src/apiserver/log-query.js';

const q = (s: string) => new URLSearchParams(s);

describe('pods/log query (PodLogOptions)', () => {
  it('reads what kubectl logs sends', () => {
    expect(logQuery(q('follow=true&tailLines=10&timestamps=true&limitBytes=100&sinceSeconds=60'), 'p', 1_000_000))
      .toEqual({ follow: true, tailLines: 10, timestamps: true, limitBytes: 100, since: 940_000 });
    expect(logQuery(q('sinceTime=2026-11-21T10:00:00Z'), 'p').since).toBe(Date.parse('2026-11-21T10:00:00Z'));
    expect(logQuery(q(''), 'p')).toEqual({ follow: false, tailLines: undefined, limitBytes: undefined, since: undefined, timestamps: false });
  });

  it('refuses values the apiserver refuses, naming the pod', () => {
    expect(() => logQuery(q('tailLines=-1'), 'web')).toThrow('PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
    expect(() => logQuery(q('limitBytes=0'), 'web')).toThrow('limitBytes: Invalid value: 0: must be greater than 0');
    expect(() => logQuery(q('sinceSeconds=5&sinceTime=2026-11-21T10:00:00Z'), 'web')).toThrow('at most one of `sinceTime` or `sinceSeconds` may be specified');
    expect(() => logQuery(q('tailLines=x'), 'web')).toThrow('invalid syntax');
  });
});
