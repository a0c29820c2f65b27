/** Test support of timeline-svc: config from the test env, fixtures, Kafka helpers, bounded waits. */
import { inject } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { loadTimelineConfig, type TimelineConfig } from '../src/config.ts';
import { createKafka } from '../dailyfeed-shared/src/events/kafka-connection.ts';
import { createActivityEvent, encodeEventValue, recordKeyOf, type ActivityEvent, type CreateActivityEventInput } from '../dailyfeed-shared/src/events/index.ts';
import { missingServers, runId, type ServerName } from '../dailyfeed-shared/testing/servers.ts';

export const TIME_ZONE = 'Asia/Seoul';

/**
 * REDIS_URL with a database index of this suite's own (TIMELINE_TEST_REDIS_DB, default 7):
 * the flush tests FLUSHDB it, never db 0 which the stack and other suites use.
 */
export function testRedisUrl(): string {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${process.env.TIMELINE_TEST_REDIS_DB ?? '7'}`;
  return url.toString();
}

/** null when the suite can run, else the printed reason (servers or other services' tables missing). */
export async function skipReason(servers: ServerName[]): Promise<string | null> {
  const missing = await missingServers(servers);
  if (missing) return missing;
  if (!process.env.PG_ADMIN_URL) return 'SKIPPED: PG_ADMIN_URL is needed to write member/content fixtures';
  const tables = inject('readTablesMissing');
  return tables || null;
}

export function testConfig(overrides: Record<string, string> = {}): TimelineConfig {
  return loadTimelineConfig({
    // Suites build their config while being declared, also when they are skipped.
    DATABASE_URL: 'postgresql://unset@127.0.0.1:1/unset',
    ...process.env,
    REDIS_URL: testRedisUrl(),
    PORT: '0',
    LOG_LEVEL: 'silent',
    MEMBER_SVC_URL: 'http://127.0.0.1:9',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:59092',
    DAILYFEED_TOPIC_PREFIX: `test-${runId()}-`,
    TIMELINE_CONSUMER_GROUP: `timeline-test-${runId()}`,
    TIMELINE_CONSUMER_ENABLED: 'false',
    TIMELINE_JOBS_ENABLED: 'false',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    SUMMARY_CACHE_TTL_MS: '0',
    POST_CACHE_TTL_MS: '0', // the cache tests turn it on
    PULLED_CACHE_TTL_MS: '0',
    FEED_PAGE_MEMO_MS: '0', // page-memo.test.ts turns it on

    ...overrides,
  });
}

export const testRedis = (): Redis => new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
export const testKafka = (clientId = 'timeline-test'): Kafka => createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '').split(','), clientId });
export const event = (input: Omit<CreateActivityEventInput, 'timeZone'>): ActivityEvent => createActivityEvent({ timeZone: TIME_ZONE, ...input });

export async function createTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function cleanupKafka(kafka: Kafka, prefix: string, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export async function send(producer: Producer, topic: string, events: ActivityEvent[]): Promise<void> {
  await producer.send({
    topic,
    acks: 1,
    messages: events.map((e) => ({ key: recordKeyOf(e), value: encodeEventValue(e), headers: { eventId: e.eventId, eventType: e.type } })),
  });
}

export async function waitFor(what: string, timeoutMs: number, condition: () => Promise<boolean> | boolean): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
