import { Type, type Static } from 'typebox';
import { BaseConfigSchema, ConfigError, KafkaConfigSchema, loadConfig } from '../dailyfeed-shared/src/config/config.ts';

export const SearchConfigSchema = {
  ...BaseConfigSchema,
  ...KafkaConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8085 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 2, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  MEMBER_SVC_URL: Type.String({ pattern: '^https?://' }),
  /** Which engine answers searches and receives the index: PostgreSQL full text (default) or Meilisearch. */
  SEARCH_ENGINE: Type.Union([Type.Literal('postgres'), Type.Literal('meilisearch')], { default: 'postgres' }),
  MEILI_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  MEILI_KEY: Type.Optional(Type.String()),
  /** Index names are `{prefix}posts` and `{prefix}comments` (tests use their own prefix). */
  MEILI_INDEX_PREFIX: Type.String({ default: 'dailyfeed_', pattern: '^[A-Za-z0-9_-]*$' }),
  /** PostgreSQL engine: only the newest this-many matches of a query are ranked (frequent words stay fast). */
  SEARCH_RANK_WINDOW: Type.Integer({ minimum: 100, maximum: 100_000, default: 500 }),
  /** Consume POST_* / COMMENT_* events (tests of reads alone, and the reindex command, turn it off). */
  SEARCH_INDEXER_ENABLED: Type.Boolean({ default: true }),
  SEARCH_CONSUMER_GROUP: Type.String({ default: 'search-svc' }),
  /** A killed replica's partitions wait this long before another takes them over. */
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({ minimum: 6_000, default: 10_000 }),
  /** Periodic jobs (dead-letter retry); tests tick them by hand. */
  SEARCH_JOBS_ENABLED: Type.Boolean({ default: true }),
  /** Author summaries are cached in process this long. */
  SUMMARY_CACHE_TTL_MS: Type.Integer({ minimum: 0, default: 30_000 }),
};
const configType = () => Type.Object(SearchConfigSchema);
export type SearchConfig = Static<ReturnType<typeof configType>>;

export function loadSearchConfig(env: NodeJS.ProcessEnv = process.env): SearchConfig {
  const config = loadConfig(SearchConfigSchema, env);
  if (config.SEARCH_ENGINE === 'meilisearch' && !config.MEILI_URL) {
    throw new ConfigError('invalid configuration: MEILI_URL is required when SEARCH_ENGINE is meilisearch');
  }
  return config;
}
