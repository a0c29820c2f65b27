import { Type, type Static } from 'typebox';
import { BaseConfigSchema, KafkaConfigSchema, loadConfig } from '../dailyfeed-shared/src/config/config.ts';

export const TimelineConfigSchema = {
  ...BaseConfigSchema,
  ...KafkaConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8083 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 2, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  MEMBER_SVC_URL: Type.String({ pattern: '^https?://' }),
  /** Newest entries kept per reader in the Redis follow feed (older pages come from PostgreSQL). */
  FEED_CACHE_SIZE: Type.Integer({ minimum: 50, maximum: 10_000, default: 800 }),
  /**
   * Hybrid threshold: an author with more followers than this is not fanned out on write;
   * followers pull and merge the author's posts at read time.
   */
  FEED_FANOUT_MAX_FOLLOWERS: Type.Integer({ minimum: 0, default: 10_000 }),
  /** A reader's cached feed expires after this long without a read (evicted, rebuilt on demand). */
  FEED_IDLE_TTL_SECONDS: Type.Integer({ minimum: 60, default: 7 * 86_400 }),
  /** How long a reader's followings list is cached in Redis (events also evict it). */
  FOLLOWINGS_CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 300 }),
  /**
   * Plus an in-process copy for this long (ms): an unfollow handled by another replica shows
   * on this one within this time (the unfollowed author's entries are already gone from Redis).
   */
  FOLLOWINGS_LOCAL_CACHE_MS: Type.Integer({ minimum: 0, default: 2_000 }),
  /**
   * Rendered follow-feed pages are kept in process this long (feed/page-memo.ts): a change of
   * the reader's feed or likes drops them at once (Redis announces it); counters and edits
   * show up to this much later. 0 = off.
   */
  FEED_PAGE_MEMO_MS: Type.Integer({ minimum: 0, maximum: 5_000, default: 1_000 }),
  /** ... at most this many pages (about 10 KB each). */
  FEED_PAGE_MEMO_SIZE: Type.Integer({ minimum: 1, default: 2_000 }),
  /** Most popular / most commented: at most this many posts of one author. */
  RANKING_MAX_PER_AUTHOR: Type.Integer({ minimum: 1, default: 3 }),
  /** Author summaries are cached in process this long. */
  SUMMARY_CACHE_TTL_MS: Type.Integer({ minimum: 0, default: 3_000 }),
  /** Newest posts of authors above the hybrid threshold, cached in process this long (0 = off). */
  PULLED_CACHE_TTL_MS: Type.Integer({ minimum: 0, maximum: 5_000, default: 1_000 }),
  /** ... this many per author. */
  PULLED_CACHE_SIZE: Type.Integer({ minimum: 20, default: 200 }),
  /** Post rows of feed and ranking pages are cached in process this long (0 = off). */
  POST_CACHE_TTL_MS: Type.Integer({ minimum: 0, default: 1_000 }),
  /** A reader's liked-posts set in Redis lives this long (rebuilt on demand). */
  LIKED_SET_TTL_SECONDS: Type.Integer({ minimum: 10, default: 3_600 }),
  /** Benchmark only: `?impl=naive` on the follow feed selects the original pull query. */
  TIMELINE_NAIVE_FEED_ENABLED: Type.Boolean({ default: false }),
  /** Consume events (tests of reads alone turn it off). */
  TIMELINE_CONSUMER_ENABLED: Type.Boolean({ default: true }),
  TIMELINE_CONSUMER_GROUP: Type.String({ default: 'timeline-svc' }),
  /** A killed replica's partitions wait this long before another takes them over. */
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({ minimum: 6_000, default: 10_000 }),
  /** Periodic jobs (dead-letter retry, ranking expiry); tests tick them by hand. */
  TIMELINE_JOBS_ENABLED: Type.Boolean({ default: true }),
};
const configType = () => Type.Object(TimelineConfigSchema);
export type TimelineConfig = Static<ReturnType<typeof configType>>;

export function loadTimelineConfig(env: NodeJS.ProcessEnv = process.env): TimelineConfig {
  return loadConfig(TimelineConfigSchema, env);
}
