/**
 * The consumer of activity-svc (events.md, "Consumers"): group `activity-svc` over the dated
 * topics' window, at least once.
 *
 *   record -> decode -> dedup (Redis: done before?) -> processors (activity log first)
 *          -> mark done in Redis -> commit the offset
 *
 * - The offset is committed only after every processor stored its effect (DatedTopicListener).
 * - The Redis check is an optimisation; the log's upsert by messageKey is the guarantee, so a
 *   duplicate never shows twice with Redis down, flushed or expired.
 * - A record that fails (bad JSON, unknown version, a failing processor) goes to
 *   `activity.dead_letters` and the partition moves on; the retry job takes it from there.
 *   If even the dead-letter insert fails (PostgreSQL down) the batch is retried from the last
 *   commit: nothing is skipped silently.
 */
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { createDatedTopicListener, type DatedTopicListener } from '../../dailyfeed-shared/src/events/dated-topic-listener.ts';
import type { Clock } from '../../dailyfeed-shared/src/events/clock.ts';
import type { EventLogger } from '../../dailyfeed-shared/src/events/kafka-connection.ts';
import type { TopicNaming } from '../../dailyfeed-shared/src/events/topics.ts';
import {
  PgDeadLetterStore,
  RedisDedupGuard,
  createDeadLetterRetry,
  deduplicated,
  registerInboxMetrics,
  type BackoffPolicy,
  type DeadLetterRetry,
  type DedupGuard,
} from '../../dailyfeed-shared/src/events/inbox/index.ts';
import { processorPipeline, type EventProcessor } from '../activities/processors.ts';

export interface ActivityConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  /** null: no dedup cache (the upsert alone keeps events single). */
  redis: Redis | null;
  group: string;
  naming: TopicNaming;
  processors: readonly EventProcessor[];
  clock?: Clock;
  sessionTimeoutMs?: number;
  windowCheckIntervalMs?: number;
  dedupTtlSeconds?: number;
  backoff?: Partial<BackoffPolicy>;
  registry?: Registry;
  logger?: EventLogger;
}

export interface ActivityConsumer {
  readonly group: string;
  readonly listener: DatedTopicListener;
  readonly deadLetters: PgDeadLetterStore;
  readonly retry: DeadLetterRetry;
  readonly guard: DedupGuard;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createActivityConsumer(options: ActivityConsumerOptions): ActivityConsumer {
  const { group, logger } = options;
  const guard: DedupGuard = options.redis
    ? new RedisDedupGuard({ redis: options.redis, group, ...(options.dedupTtlSeconds ? { ttlSeconds: options.dedupTtlSeconds } : {}), ...(logger ? { logger } : {}) })
    : { isDone: async () => false, markDone: async () => undefined, failures: 0 };
  const deadLetters = new PgDeadLetterStore({ pool: options.pool, table: 'activity.dead_letters', ...(options.backoff ? { backoff: options.backoff } : {}) });

  const outcomes = options.registry
    ? ((options.registry.getSingleMetric('dailyfeed_activity_events_total') as Counter<'group' | 'outcome'> | undefined) ??
      new Counter({ name: 'dailyfeed_activity_events_total', help: 'Consumed events by outcome (stored, duplicate, dead_lettered)', labelNames: ['group', 'outcome'] as const, registers: [options.registry] }))
    : undefined;

  const pipeline = processorPipeline(options.processors);
  const handle = deduplicated(
    guard,
    async (event: Parameters<typeof pipeline>[0], meta: Parameters<typeof pipeline>[1]) => {
      await pipeline(event, meta);
      outcomes?.inc({ group, outcome: 'stored' });
    },
    () => outcomes?.inc({ group, outcome: 'duplicate' }),
  );

  const listener = createDatedTopicListener({
    kafka: options.kafka,
    groupId: group,
    naming: options.naming,
    handle,
    onFailure: async (failure) => {
      const letter = await deadLetters.store(group, failure);
      outcomes?.inc({ group, outcome: 'dead_lettered' });
      logger?.warn(
        { err: failure.error, topic: failure.topic, partition: failure.partition, offset: failure.offset, eventId: failure.event?.eventId, status: letter?.status },
        'record dead-lettered; the partition moves on',
      );
    },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.sessionTimeoutMs ? { sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3)) } : {}),
    ...(options.windowCheckIntervalMs ? { windowCheckIntervalMs: options.windowCheckIntervalMs } : {}),
    ...(logger ? { logger } : {}),
  });

  const retry = createDeadLetterRetry({ store: deadLetters, group, handle, ...(logger ? { logger } : {}) });

  if (options.registry) {
    registerInboxMetrics({ registry: options.registry, group, store: deadLetters, lag: () => listener.lag(), guard });
  }

  return {
    group,
    listener,
    deadLetters,
    retry,
    guard,
    start: () => listener.start(),
    stop: () => listener.stop(),
  };
}
