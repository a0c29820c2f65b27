import { describe, expect, it } from 'vitest';
import { decayedScore, hotScore, inWindow, type Counters } from '../src/ranking/formula.ts';

const HOUR = 3_600_000;
const now = Date.UTC(2026, 10, 28, 12);

describe('ranking formula', () => {
  it('orders like the decayed score at any time (time-invariant ranking)', () => {
    const posts: Array<[Counters, number]> = [
      [{ likes: 10, comments: 2, views: 100 }, now - 20 * HOUR],
      [{ likes: 1, comments: 0, views: 5 }, now - 1 * HOUR],
      [{ likes: 3, comments: 5, views: 40 }, now - 6 * HOUR],
      [{ likes: 0, comments: 0, views: 0 }, now - 0.1 * HOUR],
    ];
    for (const at of [now, now + 5 * HOUR, now + 30 * HOUR]) {
      const byHot = [...posts.keys()].sort((a, b) => hotScore(...(posts[b] as [Counters, number]), '24h') - hotScore(...(posts[a] as [Counters, number]), '24h'));
      const byDecay = [...posts.keys()].sort(
        (a, b) => decayedScore(posts[b]![0], posts[b]![1], at, '24h') - decayedScore(posts[a]![0], posts[a]![1], at, '24h'),
      );
      expect(byHot).toEqual(byDecay);
    }
  });

  it('a post half a half-life older needs about 1.41x the points', () => {
    const young = hotScore({ likes: 0, comments: 0, views: 99 }, now, '24h');
    const old = hotScore({ likes: 0, comments: 0, views: 199 }, now - 6 * HOUR, '24h');
    expect(Math.abs(young - old)).toBeLessThan(0.01); // 2x points = one half-life (6 h in 24h)
  });

  it('weights comments over likes over views', () => {
    const t = now - HOUR;
    expect(hotScore({ likes: 0, comments: 1, views: 0 }, t, '7d')).toBeGreaterThan(hotScore({ likes: 1, comments: 0, views: 0 }, t, '7d'));
    expect(hotScore({ likes: 1, comments: 0, views: 0 }, t, '7d')).toBeGreaterThan(hotScore({ likes: 0, comments: 0, views: 1 }, t, '7d'));
  });

  it('windows admit posts younger than the window', () => {
    expect(inWindow(now - 23 * HOUR, now, '24h')).toBe(true);
    expect(inWindow(now - 25 * HOUR, now, '24h')).toBe(false);
    expect(inWindow(now - 25 * HOUR, now, '7d')).toBe(true);
  });
});
