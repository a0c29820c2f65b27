/** Test support of activity-svc: config from the test env, Kafka helpers, bounded waits. */
import { randomInt } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import { loadActivityConfig, type ActivityConfig } from '../src/config.ts';
import { createKafka } from '../dailyfeed-shared/src/events/kafka-connection.ts';
import { createActivityEvent, encodeEventValue, recordKeyOf, type ActivityEvent, type CreateActivityEventInput } from '../dailyfeed-shared/src/events/index.ts';
import { datedTopicName, type TopicNaming } from '../dailyfeed-shared/src/events/topics.ts';
import { runId } from '../dailyfeed-shared/testing/servers.ts';

export const TIME_ZONE = 'Asia/Seoul';

export function testConfig(overrides: Record<string, string> = {}): ActivityConfig {
  return loadActivityConfig({
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'silent',
    MEMBER_SVC_URL: 'http://127.0.0.1:9',
    DAILYFEED_TOPIC_PREFIX: `test-${runId()}-`,
    ACTIVITY_CONSUMER_GROUP: `activity-test-${runId()}`,
    ACTIVITY_JOBS_ENABLED: 'false',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ACTIVITY_WINDOW_CHECK_INTERVAL_MS: '500',
    ...overrides,
  });
}

export const testKafka = (clientId = 'activity-test'): Kafka =>
  createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '').split(','), clientId });

/** A member id range of this run: rows of other suites never match. */
export const memberBase = (): number => randomInt(1, 2 ** 40) * 1000;

export const event = (input: Omit<CreateActivityEventInput, 'timeZone'>): ActivityEvent => createActivityEvent({ timeZone: TIME_ZONE, ...input });

export async function createTopics(kafka: Kafka, topics: string[], partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
}

/** Sends events as a producer would (record key, headers); `raw` values go as they are. */
export async function send(producer: Producer, topic: string, events: Array<ActivityEvent | { raw: string; key: string }>): Promise<void> {
  await producer.send({
    topic,
    acks: 1,
    messages: events.map((e) =>
      'raw' in e
        ? { key: e.key, value: e.raw }
        : { key: recordKeyOf(e), value: encodeEventValue(e), headers: { eventId: e.eventId, eventType: e.type } },
    ),
  });
}

export const topicOf = (naming: TopicNaming, date: Date, offsetDays = 0): string => datedTopicName(date, naming, offsetDays);

export async function waitFor(what: string, timeoutMs: number, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function countRows(db: pg.Pool, fromMember: number, toMember: number): Promise<{ rows: number; keys: number }> {
  const { rows } = await db.query<{ rows: string; keys: string }>(
    'SELECT count(*) AS rows, count(DISTINCT message_key) AS keys FROM activity.member_activities WHERE member_id >= $1 AND member_id < $2',
    [fromMember, toMember],
  );
  return { rows: Number(rows[0]?.rows ?? 0), keys: Number(rows[0]?.keys ?? 0) };
}

export const manualClock = (start: Date) => {
  let current = start;
  return { now: () => current, set: (date: Date) => void (current = date) };
};
