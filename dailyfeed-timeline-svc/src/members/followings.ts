/**
 * A reader's followings, read straight from member-svc's `member.follows` (read-only access,
 * the read group's design) and cached in Redis per reader; MEMBER_FOLLOW/UNFOLLOW events evict
 * the entry. `pulled` are the followings with more followers than the hybrid threshold: their
 * posts are not fanned out, the feed pulls them at read time.
 */
import type { Redis } from 'ioredis';
import type { Queryable } from '../db/pool.ts';

export interface Followings {
  ids: string[];
  /** Followings above the fan-out threshold (pulled at read time). */
  pulled: string[];
}

export const followingsKey = (readerId: string): string => `tl:fwg:${readerId}`;

export class FollowingsReader {
  readonly #db: Queryable;
  readonly #redis: Redis;
  readonly #threshold: number;
  readonly #ttlSeconds: number;
  readonly #localTtlMs: number;
  /** A second, in-process level (a few seconds): saves the Redis round trip on hot readers. */
  readonly #local = new Map<string, { value: Followings; expires: number }>();
  /** Concurrent misses of one reader share one Redis read. */
  readonly #reading = new Map<string, Promise<Followings>>();

  constructor(options: { db: Queryable; redis: Redis; fanoutMaxFollowers: number; ttlSeconds: number; localTtlMs?: number }) {
    this.#db = options.db;
    this.#redis = options.redis;
    this.#threshold = options.fanoutMaxFollowers;
    this.#ttlSeconds = options.ttlSeconds;
    this.#localTtlMs = options.localTtlMs ?? 0;
  }

  get threshold(): number {
    return this.#threshold;
  }

  async of(readerId: string): Promise<Followings> {
    const now = Date.now();
    const local = this.#local.get(readerId);
    if (local && local.expires > now) return local.value;
    let reading = this.#reading.get(readerId);
    if (!reading) {
      reading = this.#shared(readerId).finally(() => this.#reading.delete(readerId));
      this.#reading.set(readerId, reading);
    }
    const followings = await reading;
    if (this.#localTtlMs > 0) {
      if (this.#local.size >= 20_000) this.#local.delete(this.#local.keys().next().value as string);
      this.#local.set(readerId, { value: followings, expires: now + this.#localTtlMs });
    }
    return followings;
  }

  async #shared(readerId: string): Promise<Followings> {
    const key = followingsKey(readerId);
    const cached = await this.#redis.get(key).catch(() => null);
    if (cached) return JSON.parse(cached) as Followings;
    const followings = await this.load(readerId);
    await this.#redis.set(key, JSON.stringify(followings), 'EX', this.#ttlSeconds).catch(() => undefined);
    return followings;
  }

  async load(readerId: string): Promise<Followings> {
    const { rows } = await this.#db.query<{ id: string; pulled: boolean }>(
      `SELECT f.followee_id::text AS id, COALESCE(m.followers_count, 0) > $2 AS pulled
         FROM member.follows f LEFT JOIN member.members m ON m.id = f.followee_id
        WHERE f.follower_id = $1`,
      [readerId, this.#threshold],
    );
    return { ids: rows.map((r) => r.id), pulled: rows.filter((r) => r.pulled).map((r) => r.id) };
  }

  async evict(readerId: string): Promise<void> {
    this.#local.delete(readerId);
    this.#reading.delete(readerId);
    await this.#redis.del(followingsKey(readerId));
  }

  /** Is the follow there now (the truth every follow event is reconciled against)? */
  async follows(readerId: string, authorId: string): Promise<boolean> {
    const { rows } = await this.#db.query('SELECT 1 FROM member.follows WHERE follower_id = $1 AND followee_id = $2', [readerId, authorId]);
    return rows.length > 0;
  }

  /** Followers of an author and whether the author is fanned out at all (hybrid threshold). */
  async fanOutTargets(authorId: string): Promise<{ pulled: boolean; followerIds: string[] }> {
    const { rows: counts } = await this.#db.query<{ followers_count: number }>('SELECT followers_count FROM member.members WHERE id = $1', [authorId]);
    if ((counts[0]?.followers_count ?? 0) > this.#threshold) return { pulled: true, followerIds: [] };
    const { rows } = await this.#db.query<{ id: string }>('SELECT follower_id::text AS id FROM member.follows WHERE followee_id = $1', [authorId]);
    return { pulled: false, followerIds: rows.map((r) => r.id) };
  }

  /** Every follower (a delete removes the post from every set it may be in, threshold or not). */
  async followerIds(authorId: string): Promise<string[]> {
    const { rows } = await this.#db.query<{ id: string }>('SELECT follower_id::text AS id FROM member.follows WHERE followee_id = $1', [authorId]);
    return rows.map((r) => r.id);
  }
}
