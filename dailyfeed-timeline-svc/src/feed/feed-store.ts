/**
 * The per-reader follow feed cache in Redis: one sorted set per reader, `tl:feed:{readerId}`,
 * holding the newest FEED_CACHE_SIZE entries (score = createdAt ms, member = padded post id +
 * author id, see entries.ts) plus a sentinel member `!` whose (negative) score is the state:
 *
 *   -1 complete   every post of the reader's (fanned-out) followings is in the set
 *   -2 partial    the set is the exact newest prefix of the feed down to its lowest entry;
 *                 older posts come from PostgreSQL
 *   -3 building   a rebuild is running: fan-outs already add, readers do not trust it yet
 *
 * The sentinel lives inside the set, so "the key is gone" (new reader, idle expiry, eviction,
 * FLUSHDB) always means "rebuild", never "empty feed". Fan-out writes only to readers whose set
 * exists (active readers); an inactive reader's feed is rebuilt from PostgreSQL on its next read.
 * Every mutation keeps the prefix invariant: an entry older than a partial set's lowest entry is
 * not added (it would leave a hole above it), and the set is trimmed from the oldest end.
 */
import type { Redis } from 'ioredis';
import { entryOf, memberOf, type FeedEntry, type Position } from './entries.ts';

export type FeedState = 'complete' | 'partial' | 'building';
const STATE_SCORE: Record<FeedState, number> = { complete: -1, partial: -2, building: -3 };
const stateOfScore = (score: number | null): FeedState | null =>
  score === -1 ? 'complete' : score === -2 ? 'partial' : score === -3 ? 'building' : null;

export const feedKey = (readerId: string): string => `tl:feed:${readerId}`;

// KEYS[1] feed; ARGV[1] cap; ARGV[2] lower bound of the added list (-1 when it is all of it);
// ARGV[3] ttl seconds or 0 (keep); ARGV[4] 1 = create the set when missing; then score, member pairs.
// Returns the number of entries added.
const ADD_SCRIPT = `
local key = KEYS[1]
local cap = tonumber(ARGV[1])
local state = redis.call('ZSCORE', key, '!')
if not state then
  if ARGV[4] ~= '1' then return 0 end
  state = '-3'
  redis.call('ZADD', key, -3, '!')
end
state = tonumber(state)
local bound = tonumber(ARGV[2])
if state == -2 then
  local lowest = redis.call('ZRANGE', key, 1, 1, 'WITHSCORES')
  if lowest[2] and tonumber(lowest[2]) > bound then bound = tonumber(lowest[2]) end
end
local added = 0
for i = 5, #ARGV, 2 do
  local score = tonumber(ARGV[i])
  if score >= bound then
    added = added + redis.call('ZADD', key, score, ARGV[i + 1])
  end
end
if bound > 0 then
  redis.call('ZREMRANGEBYSCORE', key, 0, '(' .. bound)
  if state == -1 then state = -2 end
end
local n = redis.call('ZCARD', key) - 1
if n > cap then
  redis.call('ZREMRANGEBYRANK', key, 1, n - cap)
  if state == -1 then state = -2 end
end
if state ~= -3 then redis.call('ZADD', key, state, '!') end
if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', key, ARGV[3]) end
return added
`;

// KEYS[1] feed; ARGV[1] author id. Removes every entry of the author.
const REMOVE_AUTHOR_SCRIPT = `
local suffix = ':' .. ARGV[1]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], 0, '+inf')
local removed = 0
for _, m in ipairs(members) do
  if string.sub(m, -#suffix) == suffix then removed = removed + redis.call('ZREM', KEYS[1], m) end
end
return removed
`;

// KEYS[1] feed; ARGV[1] final state score; ARGV[2] ttl. Marks a rebuilt set ready.
const FINISH_SCRIPT = `
local state = redis.call('ZSCORE', KEYS[1], '!')
if not state then return 0 end
if tonumber(state) == -3 then redis.call('ZADD', KEYS[1], ARGV[1], '!') end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

// KEYS[1] feed; KEYS[2] the reader's liked set (liked.ts); ARGV[1] max score; ARGV[2] limit;
// ARGV[3] idle ttl, or 0 to leave it; ARGV[4..] more post ids whose like status is wanted.
// One round trip for a page: newest-first entries at or below the max score, the set's two
// lowest members (the sentinel, whose score is the state, and the lowest entry), and which of
// the entries and extra ids the reader likes (false when the liked set is not loaded: the
// caller asks liked.ts, which loads it). Few redis.call()s, a small reply: they cost more here
// than the work.
const PAGE_SCRIPT = `
local entries = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], 0, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local bottom = redis.call('ZRANGE', KEYS[1], 0, 1, 'WITHSCORES')
if bottom[1] and tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local ids = {'!'}
for i = 1, #entries, 2 do ids[#ids + 1] = string.match(entries[i], '^0*(%d+):') or '-' end
for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
local flags = redis.call('SMISMEMBER', KEYS[2], unpack(ids))
if flags[1] == 0 then return {entries, bottom, false} end
local liked = {}
for i = 2, #flags do
  if flags[i] == 1 then liked[#liked + 1] = ids[i] end
end
return {entries, bottom, liked}
`;

type ScriptedRedis = Redis & {
  tlFeedPage(feed: string, liked: string, max: string, limit: number, ttl: number, ...extraIds: string[]): Promise<[string[], string[], string[] | null]>;
  tlFeedAdd(key: string, ...args: Array<string | number>): Promise<number>;
  tlFeedRemoveAuthor(key: string, authorId: string): Promise<number>;
  tlFeedFinish(key: string, state: number, ttl: number): Promise<number>;
};

export interface FeedPage {
  state: FeedState | null;
  entries: FeedEntry[];
  /** The set's lowest entry (for partial sets: where PostgreSQL takes over). */
  lowest: Position | null;
  /** Post ids of `entries` and of the extra ids the reader likes; null when the liked set was not loaded. */
  liked: Set<string> | null;
}

/**
 * The idle TTL is pushed back at most this often per reader (a write on every read is waste),
 * and at least four times per TTL so a set that is being read never expires.
 */
const TOUCH_EVERY_MS = 3_600_000;
const MAX_TOUCHED = 100_000;

/** A connection whose reads Redis tracks (db/redis-tracking.ts); epoch null = not tracking now. */
export interface TrackedReads {
  client: Redis;
  readonly epoch: number | null;
}

export class FeedStore {
  readonly #redis: ScriptedRedis;
  readonly #tracked: TrackedReads | null;
  readonly cap: number;
  readonly ttlSeconds: number;
  readonly #touchedAt = new Map<string, number>();

  /** `tracked`: pages are read on it while it tracks, so the page memo hears of their changes. */
  constructor(redis: Redis, options: { cap: number; ttlSeconds: number; tracked?: TrackedReads }) {
    this.cap = options.cap;
    this.ttlSeconds = options.ttlSeconds;
    this.#redis = withScripts(redis);
    this.#tracked = options.tracked ?? null;
    if (this.#tracked) withScripts(this.#tracked.client);
  }

  async state(readerId: string): Promise<FeedState | null> {
    const score = await this.#redis.zscore(feedKey(readerId), '!');
    return stateOfScore(score === null ? null : Number(score));
  }

  /**
   * Newest-first entries at or after the cursor position (same millisecond included: the
   * caller filters by id), at most `limit`, plus the set's state, its lowest entry and the
   * reader's likes among the entries and `extraIds` (`likedSetKey`); pushes the idle TTL back
   * now and then. One round trip.
   */
  async page(readerId: string, cursor: Position | null, limit: number, likedSetKey: string, extraIds: readonly string[] = []): Promise<FeedPage> {
    const max = cursor === null ? '+inf' : String(cursor.ms);
    const now = Date.now();
    const touch = (this.#touchedAt.get(readerId) ?? 0) < now - Math.min(TOUCH_EVERY_MS, this.ttlSeconds * 250);
    const args = [feedKey(readerId), likedSetKey, max, limit, touch ? this.ttlSeconds : 0, ...extraIds] as const;
    const tracked = this.#tracked !== null && this.#tracked.epoch !== null ? (this.#tracked.client as ScriptedRedis) : null;
    // The tracked connection lost under the read: the page is still read (not memoised: the epoch moved).
    const [flat, bottom, likedIds] = tracked ? await tracked.tlFeedPage(...args).catch(() => this.#redis.tlFeedPage(...args)) : await this.#redis.tlFeedPage(...args);
    // The sentinel's score is the state; a set without it is missing (rebuild).
    const state = bottom[0] === '!' ? stateOfScore(Number(bottom[1])) : null;
    if (touch && state !== null) {
      this.#touchedAt.delete(readerId);
      this.#touchedAt.set(readerId, now);
      if (this.#touchedAt.size > MAX_TOUCHED) this.#touchedAt.delete(this.#touchedAt.keys().next().value as string);
    }
    const entries: FeedEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const entry = entryOf(flat[i] as string, Number(flat[i + 1]));
      if (entry) entries.push(entry);
    }
    const lowestEntry = bottom.length === 4 ? entryOf(bottom[2] as string, Number(bottom[3])) : null;
    return {
      state,
      entries,
      lowest: lowestEntry ? { ms: lowestEntry.createdMs, id: BigInt(lowestEntry.postId) } : null,
      liked: likedIds ? new Set(likedIds) : null,
    };
  }

  /** Step 1 of a rebuild: the set exists (state building, short TTL), so fan-outs start adding. */
  async beginRebuild(readerId: string): Promise<void> {
    await this.#redis.tlFeedAdd(feedKey(readerId), this.cap, '-1', 60, 1);
  }

  /**
   * Step 2: the newest `cap` entries read from PostgreSQL (newest first). When fewer than the
   * cap came back, they are all of the feed (complete); else it is a prefix (partial).
   */
  async finishRebuild(readerId: string, entries: FeedEntry[]): Promise<void> {
    const key = feedKey(readerId);
    const complete = entries.length < this.cap;
    const bound = complete || entries.length === 0 ? '-1' : String((entries[entries.length - 1] as FeedEntry).createdMs);
    await this.#redis.tlFeedAdd(key, this.cap, bound, 0, 1, ...pairsOf(entries));
    await this.#redis.tlFeedFinish(key, complete ? STATE_SCORE.complete : STATE_SCORE.partial, this.ttlSeconds);
  }

  /** Fan-out of one post to many readers' sets (only those that exist). Returns sets written. */
  async fanOut(readerIds: readonly string[], entry: FeedEntry): Promise<number> {
    let written = 0;
    const member = memberOf(entry);
    for (let i = 0; i < readerIds.length; i += 1000) {
      const pipeline = this.#redis.pipeline();
      for (const readerId of readerIds.slice(i, i + 1000)) {
        (pipeline as unknown as ScriptedRedis).tlFeedAdd(feedKey(readerId), this.cap, '-1', 0, 0, entry.createdMs, member);
      }
      const results = (await pipeline.exec()) ?? [];
      for (const [error, value] of results) {
        if (error) throw error;
        if (Number(value) > 0) written += 1;
      }
    }
    return written;
  }

  /**
   * A new following: the author's newest posts (newest first, `complete` when that is all of
   * them) join the reader's set if it exists.
   */
  async addAuthorPosts(readerId: string, entries: FeedEntry[], complete: boolean): Promise<void> {
    if (entries.length === 0) return;
    const bound = complete ? '-1' : String((entries[entries.length - 1] as FeedEntry).createdMs);
    await this.#redis.tlFeedAdd(feedKey(readerId), this.cap, bound, 0, 0, ...pairsOf(entries));
  }

  async removeAuthor(readerId: string, authorId: string): Promise<number> {
    return this.#redis.tlFeedRemoveAuthor(feedKey(readerId), authorId);
  }

  /** A deleted post leaves every reader's set it was fanned out to. */
  async removePost(readerIds: readonly string[], entry: Pick<FeedEntry, 'postId' | 'authorId'>): Promise<void> {
    const member = memberOf(entry);
    for (let i = 0; i < readerIds.length; i += 1000) {
      const pipeline = this.#redis.pipeline();
      for (const readerId of readerIds.slice(i, i + 1000)) pipeline.zrem(feedKey(readerId), member);
      await pipeline.exec();
    }
  }

  async drop(readerId: string): Promise<void> {
    await this.#redis.del(feedKey(readerId));
  }
}

function withScripts(redis: Redis): ScriptedRedis {
  const scripted = redis as ScriptedRedis;
  if (typeof scripted.tlFeedAdd !== 'function') {
    redis.defineCommand('tlFeedAdd', { numberOfKeys: 1, lua: ADD_SCRIPT });
    redis.defineCommand('tlFeedRemoveAuthor', { numberOfKeys: 1, lua: REMOVE_AUTHOR_SCRIPT });
    redis.defineCommand('tlFeedFinish', { numberOfKeys: 1, lua: FINISH_SCRIPT });
    redis.defineCommand('tlFeedPage', { numberOfKeys: 2, lua: PAGE_SCRIPT });
  }
  return scripted;
}

function pairsOf(entries: FeedEntry[]): Array<string | number> {
  const out: Array<string | number> = [];
  for (const entry of entries) out.push(entry.createdMs, memberOf(entry));
  return out;
}
