/**
 * `liked` of the caller on feed and ranking pages without a database round trip: a Redis set
 * per active reader, `tl:liked:{memberId}` (post ids the member likes, plus the sentinel `!`
 * meaning "loaded"), built from `content.post_likes` on first use (newest LIKED_SET_MAX likes)
 * and kept by LIKE_POST / LIKE_POST_CANCEL events, each reconciled with the like row (the
 * truth). It expires after LIKED_SET_TTL_SECONDS and is rebuilt on demand; Redis down -> the
 * same answer from PostgreSQL.
 */
import type { Redis } from 'ioredis';
import type { Queryable } from '../db/pool.ts';

export const likedKey = (memberId: string): string => `tl:liked:${memberId}`;
const LIKED_SET_MAX = 20_000;

// KEYS[1] set; ARGV[1] member; ARGV[2] 1 add / 0 remove. Only touches a loaded set.
const RECONCILE = `
if redis.call('SISMEMBER', KEYS[1], '!') == 0 then return 0 end
if ARGV[2] == '1' then return redis.call('SADD', KEYS[1], ARGV[1]) end
return redis.call('SREM', KEYS[1], ARGV[1])
`;

type ScriptedRedis = Redis & { tlLikedReconcile(key: string, postId: string, add: string): Promise<number> };

export class LikedReader {
  readonly #db: Queryable;
  readonly #redis: ScriptedRedis;
  readonly #ttlSeconds: number;

  constructor(options: { db: Queryable; redis: Redis; ttlSeconds: number }) {
    this.#db = options.db;
    this.#ttlSeconds = options.ttlSeconds;
    const scripted = options.redis as ScriptedRedis;
    if (typeof scripted.tlLikedReconcile !== 'function') options.redis.defineCommand('tlLikedReconcile', { numberOfKeys: 1, lua: RECONCILE });
    this.#redis = scripted;
  }

  /** The ids among `postIds` the member likes. */
  async likedAmong(memberId: string, postIds: readonly string[]): Promise<Set<string>> {
    if (postIds.length === 0) return new Set();
    try {
      const key = likedKey(memberId);
      let flags = await this.#redis.smismember(key, '!', ...postIds);
      if (flags[0] !== 1) {
        await this.#load(memberId);
        flags = await this.#redis.smismember(key, '!', ...postIds);
      }
      return new Set(postIds.filter((_, i) => flags[i + 1] === 1));
    } catch {
      return this.#fromDb(memberId, postIds);
    }
  }

  async #load(memberId: string): Promise<void> {
    const key = likedKey(memberId);
    // The sentinel first: likes handled while the query runs are added to the set already.
    await this.#redis.multi().sadd(key, '!').expire(key, 60).exec();
    const { rows } = await this.#db.query<{ post_id: string }>(
      'SELECT post_id::text AS post_id FROM content.post_likes WHERE member_id = $1 ORDER BY created_at DESC LIMIT $2',
      [memberId, LIKED_SET_MAX],
    );
    const multi = this.#redis.multi();
    if (rows.length > 0) multi.sadd(key, ...rows.map((r) => r.post_id));
    await multi.expire(key, this.#ttlSeconds).exec();
  }

  async #fromDb(memberId: string, postIds: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.#db.query<{ post_id: string }>(
      'SELECT post_id::text AS post_id FROM content.post_likes WHERE member_id = $1 AND post_id = ANY($2::bigint[])',
      [memberId, postIds],
    );
    return new Set(rows.map((r) => r.post_id));
  }

  /** A like or unlike happened: the like row decides what the set holds. */
  async reconcile(memberId: string, postId: string): Promise<void> {
    const { rows } = await this.#db.query('SELECT 1 FROM content.post_likes WHERE member_id = $1 AND post_id = $2', [memberId, postId]);
    await this.#redis.tlLikedReconcile(likedKey(memberId), postId, rows.length > 0 ? '1' : '0');
  }
}
