/**
 * The "most popular" score (README, "Ranking formula").
 *
 *   points(p)   = W_LIKE * likes + W_COMMENT * comments (replies included) + W_VIEW * views
 *   hot_w(p)    = log2(1 + points(p)) + (createdAt(p) - EPOCH) / H_w
 *
 * which orders posts exactly like the decayed score (1 + points) * 2^(-(now - createdAt) / H_w):
 * a post's standing halves every half-life H_w of age (Mastodon trends' half-life decay),
 * written in Reddit "hot" form (log of points plus a linear age term) so that a score never
 * changes with the clock, only with the post's own counters. That is what lets the ranking
 * live in a Redis sorted set updated per event (ZADD), instead of re-scoring posts per request.
 * Hacker News' gravity ((P-1)/(T+2)^1.8) decays polynomially and so must be recomputed for every
 * post as time passes; we keep its idea (age beats points over time) in exponential form.
 * Only posts created within the window compete; deleted posts leave.
 */
export type RankingWindow = '24h' | '7d' | '30d';
export const RANKING_WINDOWS: readonly RankingWindow[] = ['24h', '7d', '30d'];

const HOUR = 3_600_000;
export const WINDOW_MS: Record<RankingWindow, number> = { '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR };
/** Half-life per window: a quarter of the window, so the window's newest quarter dominates. */
export const HALF_LIFE_MS: Record<RankingWindow, number> = { '24h': 6 * HOUR, '7d': 42 * HOUR, '30d': 180 * HOUR };

export const WEIGHTS = { like: 3, comment: 5, view: 1 } as const;
/** Fixed origin of the age term (keeps scores small; any constant gives the same order). */
export const EPOCH_MS = Date.UTC(2026, 0, 1);

export interface Counters {
  likes: number;
  comments: number;
  views: number;
}

export const points = (c: Counters): number =>
  WEIGHTS.like * Math.max(0, c.likes) + WEIGHTS.comment * Math.max(0, c.comments) + WEIGHTS.view * Math.max(0, c.views);

export const hotScore = (c: Counters, createdMs: number, window: RankingWindow): number =>
  Math.log2(1 + points(c)) + (createdMs - EPOCH_MS) / HALF_LIFE_MS[window];

/** The same order as hotScore, as a decayed value at `nowMs` (for the README and tests). */
export const decayedScore = (c: Counters, createdMs: number, nowMs: number, window: RankingWindow): number =>
  (1 + points(c)) * 2 ** (-(nowMs - createdMs) / HALF_LIFE_MS[window]);

/** A post competes in a window while it is younger than the window. */
export const inWindow = (createdMs: number, nowMs: number, window: RankingWindow): boolean => nowMs - createdMs < WINDOW_MS[window];

export const parseWindow = (value: string | undefined): RankingWindow => (value === '7d' || value === '30d' ? value : '24h');
