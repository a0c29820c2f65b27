/**
 * The `search-svc` consumer group: dated-topic listener -> dedupe (Redis, shared inbox) ->
 * indexer; a record that fails goes to `search.dead_letters` and the retry job runs it again
 * with backoff. Offsets are committed only after the engine confirmed the write.
 * /metrics: `dailyfeed_consumer_lag{group}` (shared inbox), plus this service's
 * `search_index_delay_seconds` (event occurredAt -> applied) and `search_index_events_total`.
 */
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { Counter, Histogram, type Registry } from 'prom-client';
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
import type { SearchConfig } from '../config.ts';
import type { Indexer } from './indexer.ts';

export interface SearchConsumer {
  listener: DatedTopicListener;
  retry: DeadLetterRetry;
  store: PgDeadLetterStore;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Metrics of applied events; returns the indexer observer. */
export function indexMetrics(registry: Registry): { applied(event: ActivityEvent): void } {
  const delay = new Histogram({
    name: 'search_index_delay_seconds',
    help: 'Time from an event (occurredAt) to its effect being searchable',
    labelNames: ['type'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const applied = new Counter({ name: 'search_index_events_total', help: 'POST_* and COMMENT_* events applied to the index', labelNames: ['type'] as const, registers: [registry] });
  return {
    applied(event) {
      delay.observe({ type: event.type }, Math.max(0, (Date.now() - Date.parse(event.occurredAt)) / 1000));
      applied.inc({ type: event.type });
    },
  };
}

export function createSearchConsumer(options: {
  config: SearchConfig;
  pool: Pool;
  redis: Redis;
  registry: Registry;
  log: FastifyBaseLogger;
  indexer: Indexer;
}): SearchConsumer {
  const { config, pool, redis, log, indexer } = options;
  const group = config.SEARCH_CONSUMER_GROUP;
  const kafka = createKafka({ brokers: splitList(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID ?? 'search-svc-consumer', logger: log });
  const guard = new RedisDedupGuard({ redis, group, logger: log });
  const store = new PgDeadLetterStore({ pool, table: 'search.dead_letters' });
  // Idempotent on its own: the indexer re-reads the row and the ledger refuses older versions.
  const handle = deduplicated<ActivityEvent, RecordMeta>(guard, (event) => indexer.handle(event));
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
  return { listener, retry, store, start: () => listener.start(), stop: () => listener.stop() };
}
