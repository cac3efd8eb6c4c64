import { describe, expect, it } from 'vitest';
import { humanDuration } from '../src/duration.js';

const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it('renders ages as kubectl does', () => {
    expect([45 * s, 2 * m, 7 * m + 28 * s, 10 * m, 179 * m, 3 * h + 30 * m, 8 * h, 47 * h, 2 * d + 3 * h, 8 * d, 800 * d, 3 * 365 * d + 10 * d].map(humanDuration))
      .toEqual(['45s', '2m', '7m28s', '10m', '179m', '3h30m', '8h', '47h', '2d3h', '8d', '2y70d', '3y10d']);
  });
});
