/** Consumer-side reliability of the event layer: see README.md in this folder. */
export { RedisDedupGuard, deduplicated, noDedupGuard, type DedupGuard, type RedisDedupGuardOptions } from './dedup-guard.ts';
export {
  DEFAULT_BACKOFF,
  PgDeadLetterStore,
  backoffDelayMs,
  describeError,
  isPermanentFailure,
  type BackoffPolicy,
  type DeadLetter,
  type DeadLetterStatus,
  type PgDeadLetterStoreOptions,
} from './dead-letter-store.ts';
export { createDeadLetterRetry, type DeadLetterRetry, type DeadLetterRetryOptions, type RetryOutcome } from './dead-letter-retry.ts';
export { registerInboxMetrics, type InboxMetricsOptions } from './inbox-metrics.ts';
export { DEAD_LETTERS_DDL, deadLettersDdl } from './ddl.ts';
