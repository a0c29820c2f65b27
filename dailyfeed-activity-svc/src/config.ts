import { Type, type Static } from 'typebox';
import { BaseConfigSchema, KafkaConfigSchema, loadConfig } from '../dailyfeed-shared/src/config/config.ts';

export const ActivityConfigSchema = {
  ...BaseConfigSchema,
  ...KafkaConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8086 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** The consumer, the API and the two jobs (each job holds one connection for its lock). */
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 4, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  MEMBER_SVC_URL: Type.String({ pattern: '^https?://' }),
  /** events.md: `activity-svc`; tests give each run its own. */
  ACTIVITY_CONSUMER_GROUP: Type.String({ minLength: 1, default: 'activity-svc' }),
  /** false: API only (tests, a read-only replica). */
  ACTIVITY_CONSUMER_ENABLED: Type.Boolean({ default: true }),
  /** Topic housekeeping and dead-letter retry; tests turn them off and tick them by hand. */
  ACTIVITY_JOBS_ENABLED: Type.Boolean({ default: true }),
  /** A killed replica's partitions wait this long before another takes them over. */
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({ minimum: 6_000, default: 10_000 }),
  /**
   * How often the listener re-checks the [yesterday, today, tomorrow] window and which of its
   * topics exist (one metadata request). 5 s, not the listener's 30 s: a topic a producer just
   * created (a fresh stack's first event) is read within seconds.
   */
  ACTIVITY_WINDOW_CHECK_INTERVAL_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** Redis dedup keys live this long: longer than any replay (the topic retention). */
  ACTIVITY_DEDUP_TTL_SECONDS: Type.Integer({ minimum: 60, default: 8 * 86_400 }),
  ACTIVITY_DEAD_LETTER_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 8 }),
  ACTIVITY_DEAD_LETTER_BASE_DELAY_MS: Type.Integer({ minimum: 1, default: 5_000 }),
  ACTIVITY_DEAD_LETTER_MAX_DELAY_MS: Type.Integer({ minimum: 1, default: 15 * 60_000 }),
  ACTIVITY_DEAD_LETTER_RETRY_INTERVAL_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  ACTIVITY_TOPIC_HOUSEKEEPING_INTERVAL_MS: Type.Integer({ minimum: 1_000, default: 3_600_000 }),
};
export type ActivityConfig = Static<ReturnType<typeof configType>>;
const configType = () => Type.Object(ActivityConfigSchema);

export const loadActivityConfig = (env: NodeJS.ProcessEnv = process.env): ActivityConfig => loadConfig(ActivityConfigSchema, env);
