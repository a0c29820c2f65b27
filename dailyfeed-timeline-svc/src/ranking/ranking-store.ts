/**
 * Rankings in Redis sorted sets, per window w in 24h | 7d | 30d:
 *   tl:rank:pop:{w}  most popular, score = hotScore (formula.ts), time-invariant
 *   tl:rank:cmt:{w}  most commented, score = comments incl. replies (ties: newer post first)
 *   tl:rank:age:{w}  createdAt ms of every ranked post, to drop posts that left the window
 * Members are `<padded post id>:<author id>` (entries.ts), so the per-author cap needs no lookup.
 * `tl:rank:ready` marks sets built from PostgreSQL: without it (first start, FLUSHDB) they
 * are rebuilt, and reads are answered by SQL meanwhile.
 */
import type { Redis } from 'ioredis';
import type { PostMeta } from '../db/content-repo.ts';
import { entryOf, memberOf, type FeedEntry } from '../feed/entries.ts';
import { hotScore, inWindow, RANKING_WINDOWS, WINDOW_MS, type RankingWindow } from './formula.ts';

export type RankingKind = 'pop' | 'cmt';
export const rankKey = (kind: RankingKind | 'age', window: RankingWindow): string => `tl:rank:${kind}:${window}`;
export const READY_KEY = 'tl:rank:ready';

// KEYS: age, pop, cmt of one window; ARGV[1] cutoff ms, ARGV[2] batch. Returns members removed.
const EXPIRE_SCRIPT = `
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #old == 0 then return 0 end
redis.call('ZREM', KEYS[1], unpack(old))
redis.call('ZREM', KEYS[2], unpack(old))
redis.call('ZREM', KEYS[3], unpack(old))
return #old
`;

type ScriptedRedis = Redis & { tlRankExpire(age: string, pop: string, cmt: string, cutoff: number, batch: number): Promise<number> };

export class RankingStore {
  readonly #redis: ScriptedRedis;

  constructor(redis: Redis) {
    const scripted = redis as ScriptedRedis;
    if (typeof scripted.tlRankExpire !== 'function') redis.defineCommand('tlRankExpire', { numberOfKeys: 3, lua: EXPIRE_SCRIPT });
    this.#redis = scripted;
  }

  /** Puts one post where its counters say (or takes it out: deleted, too old, gone). */
  async apply(metas: Array<PostMeta | { id: string; author_id: string; deleted: true }>, nowMs: number): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const meta of metas) this.#applyOne(pipeline, meta, nowMs);
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
  }

  #applyOne(pipeline: ReturnType<Redis['pipeline']>, meta: PostMeta | { id: string; author_id: string; deleted: true }, nowMs: number): void {
    const member = memberOf({ postId: meta.id, authorId: meta.author_id });
    for (const w of RANKING_WINDOWS) {
      if (meta.deleted || !('created_at' in meta) || !inWindow(meta.created_at.getTime(), nowMs, w)) {
        pipeline.zrem(rankKey('pop', w), member).zrem(rankKey('cmt', w), member).zrem(rankKey('age', w), member);
        continue;
      }
      const createdMs = meta.created_at.getTime();
      const counters = { likes: meta.like_count, comments: meta.comment_count, views: Number(meta.view_count) };
      pipeline.zadd(rankKey('age', w), createdMs, member).zadd(rankKey('pop', w), hotScore(counters, createdMs, w), member);
      if (meta.comment_count > 0) pipeline.zadd(rankKey('cmt', w), meta.comment_count, member);
      else pipeline.zrem(rankKey('cmt', w), member);
    }
  }

  /** Drops posts older than their window. Returns how many left. */
  async expire(nowMs: number): Promise<number> {
    let removed = 0;
    for (const w of RANKING_WINDOWS) {
      for (;;) {
        const n = await this.#redis.tlRankExpire(rankKey('age', w), rankKey('pop', w), rankKey('cmt', w), nowMs - WINDOW_MS[w], 1000);
        removed += n;
        if (n < 1000) break;
      }
    }
    return removed;
  }

  /** Ranked entries from rank `start`, at most `count`, best first. */
  async range(kind: RankingKind, window: RankingWindow, start: number, count: number): Promise<FeedEntry[]> {
    const flat = await this.#redis.zrevrange(rankKey(kind, window), start, start + count - 1);
    return flat.map((member) => entryOf(member, 0)).filter((e): e is FeedEntry => e !== null);
  }

  async isReady(): Promise<boolean> {
    return (await this.#redis.exists(READY_KEY)) === 1;
  }

  async markReady(): Promise<void> {
    await this.#redis.set(READY_KEY, new Date().toISOString());
  }
}
