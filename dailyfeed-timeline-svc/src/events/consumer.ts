/**
 * The `timeline-svc` consumer: dated-topic listener -> dedupe (Redis, shared inbox) ->
 * handler; a record that fails goes to `timeline.dead_letters` and the retry job runs it
 * again with backoff. Offsets are committed only after the handler's effects are stored.
 */
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import { createDatedTopicListener, createKafka, type ActivityEvent, type DatedTopicListener, type RecordMeta } from '../../dailyfeed-shared/src/events/index.ts';
import {
  createDeadLetterRetry,
  deduplicated,
  PgDeadLetterStore,
  RedisDedupGuard,
  registerInboxMetrics,
  type DeadLetterRetry,
} from '../../dailyfeed-shared/src/events/inbox/index.ts';
import { splitList } from '../../dailyfeed-shared/src/config/config.ts';
import type { TimelineConfig } from '../config.ts';

export interface TimelineConsumer {
  listener: DatedTopicListener;
  retry: DeadLetterRetry;
  store: PgDeadLetterStore;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createTimelineConsumer(options: {
  config: TimelineConfig;
  pool: Pool;
  redis: Redis;
  registry: Registry;
  log: FastifyBaseLogger;
  handle: (event: ActivityEvent) => Promise<void>;
}): TimelineConsumer {
  const { config, pool, redis, log } = options;
  const group = config.TIMELINE_CONSUMER_GROUP;
  const kafka = createKafka({ brokers: splitList(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID ?? 'timeline-svc-consumer', logger: log });
  const guard = new RedisDedupGuard({ redis, group, logger: log });
  const store = new PgDeadLetterStore({ pool, table: 'timeline.dead_letters' });
  const handle = deduplicated<ActivityEvent, RecordMeta>(guard, (event) => options.handle(event));
  const listener = createDatedTopicListener({
    kafka,
    groupId: group,
    naming: { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE },
    handle,
    onFailure: async (failure) => {
      log.warn({ err: failure.error, topic: failure.topic, partition: failure.partition, offset: failure.offset }, 'event failed; kept as a dead letter');
      await store.store(group, failure);
    },
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatInterval: Math.min(3_000, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 3)),
    windowCheckIntervalMs: 10_000,
    maxWaitTimeInMs: 500,
    logger: log,
  });
  const retry = createDeadLetterRetry({ store, group, handle, logger: log });
  registerInboxMetrics({ registry: options.registry, group, store, lag: () => listener.lag(), guard });
  return {
    listener,
    retry,
    store,
    start: () => listener.start(),
    stop: () => listener.stop(),
  };
}
