/**
 * The consumer against real Kafka, PostgreSQL and Redis: duplicates, poison records, dead-letter
 * retries, metrics, a day rollover with an injected clock, and topic housekeeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { createKafkaEventPublisher } from '../dailyfeed-shared/src/events/kafka-publisher.ts';
import { createJobRunner } from '../dailyfeed-shared/src/jobs/job-runner.ts';
import type { ActivityConfig } from '../src/config.ts';
import { buildApp } from '../src/app.ts';
import { countRows, createTopics, deleteGroup, deleteTopicsWithPrefix, event, manualClock, memberBase, send, testConfig, testKafka, topicOf, waitFor } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'kafka']);

describe.skipIf(missing)('activity consumer', () => {
  const kafka = testKafka('activity-consumer-test');
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  let config: ActivityConfig;
  let app: ServiceApp;
  let topic: string;
  const base = memberBase();
  const failing = new Map<string, number>(); // eventId -> failures left (a flaky processor)

  beforeAll(async () => {
    config = testConfig({ ACTIVITY_DEAD_LETTER_BASE_DELAY_MS: '50', ACTIVITY_DEAD_LETTER_MAX_DELAY_MS: '200', ACTIVITY_DEAD_LETTER_MAX_ATTEMPTS: '3' });
    const naming = { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE };
    topic = topicOf(naming, new Date());
    await createTopics(kafka, [topic]);
    await producer.connect();
    app = await buildApp(config, {
      logger: false,
      extraProcessors: () => [
        {
          name: 'flaky',
          process: async (e) => {
            const left = failing.get(e.eventId) ?? 0;
            if (left > 0) {
              failing.set(e.eventId, left - 1);
              throw new Error('flaky processor');
            }
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await app?.close();
    await producer.disconnect();
    await deleteGroup(kafka, config.ACTIVITY_CONSUMER_GROUP);
    await deleteTopicsWithPrefix(kafka, config.DAILYFEED_TOPIC_PREFIX);
  });

  it('stores each event produced twice once', { timeout: 90_000 }, async () => {
    const events = Array.from({ length: 50 }, (_, i) =>
      event({ type: (['POST_CREATE', 'POST_READ', 'LIKE_POST', 'MEMBER_FOLLOW'] as const)[i % 4]!, memberId: base + (i % 5), postId: base + i, targetMemberId: base + 900 + i }),
    );
    await send(producer, topic, [...events, ...events]);
    await waitFor('50 rows', 60_000, async () => (await countRows(app.activity.db, base, base + 100)).rows >= 50);
    await send(producer, topic, events.slice(0, 10)); // redelivered later: Redis drops them
    await waitFor('lag 0', 30_000, async () => (await app.activity.consumer!.listener.lag()) === 0);
    expect(await countRows(app.activity.db, base, base + 100)).toEqual({ rows: 50, keys: 50 });
    const metrics = await (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(new RegExp(`dailyfeed_activity_events_total\\{[^}]*outcome="duplicate"[^}]*\\} ([1-9][0-9]*)`));
  });

  it('parks a poison record and processes the records behind it', { timeout: 60_000 }, async () => {
    const key = `post:${base + 500}`; // one key: one partition, poison in the middle
    const before = event({ type: 'POST_UPDATE', memberId: base + 10, postId: base + 500 });
    const after = event({ type: 'POST_DELETE', memberId: base + 10, postId: base + 500 });
    const futureVersion = JSON.stringify({ ...event({ type: 'POST_READ', memberId: base + 10, postId: base + 500 }), version: 2 });
    await send(producer, topic, [before, { raw: '{"not json', key }, { raw: futureVersion, key }, after]);
    await waitFor('the records behind the poison', 45_000, async () => (await countRows(app.activity.db, base + 10, base + 11)).rows === 2);
    const letters = await app.activity.consumer!.deadLetters.list(config.ACTIVITY_CONSUMER_GROUP);
    expect(letters.map((l) => [l.status, l.error.slice(0, 40)])).toEqual([
      ['parked', expect.stringContaining('EventDecodeError')],
      ['parked', expect.stringContaining('EventDecodeError')],
    ]);
    expect(letters[0]?.value?.toString()).toBe('{"not json');
    expect(letters[1]?.error).toContain('unknown event version 2');
  });

  it('retries a failing processor with backoff until it works, and parks one that keeps failing', { timeout: 60_000 }, async () => {
    const flaky = event({ type: 'COMMENT_CREATE', memberId: base + 20, commentId: base + 600 });
    const broken = event({ type: 'COMMENT_CREATE', memberId: base + 20, commentId: base + 601 });
    failing.set(flaky.eventId, 2); // fails in the listener and in the first retry
    failing.set(broken.eventId, 100);
    await send(producer, topic, [flaky, broken]);
    const store = app.activity.consumer!.deadLetters;
    const group = config.ACTIVITY_CONSUMER_GROUP;
    await waitFor('two pending dead letters', 30_000, async () => (await store.counts(group)).pending === 2);
    // The retry job, as production runs it: through the job runner and its advisory lock.
    const runner = createJobRunner({ pool: app.activity.db, logger: { info() {}, warn() {}, error() {} } });
    const job = app.activity.jobDefinitions.deadLetterRetry!;
    runner.schedule({ ...job, everyMs: 3_600_000 });
    try {
      await waitFor('the retries to settle', 30_000, async () => {
        expect(await runner.tick(job.name)).toBe('ran');
        const counts = await store.counts(group);
        return counts.pending === 0;
      });
    } finally {
      await runner.stop();
    }
    const letters = await store.list(group);
    const flakyLetter = letters.find((l) => l.eventId === flaky.eventId);
    const brokenLetter = letters.find((l) => l.eventId === broken.eventId);
    expect(flakyLetter).toMatchObject({ status: 'resolved', attempts: 2 });
    expect(brokenLetter).toMatchObject({ status: 'parked', attempts: 3 });
    expect(brokenLetter?.error).toContain("processor 'flaky' failed");
    // The activity log ran for both (processors are idempotent; the upsert kept one row each).
    expect(await countRows(app.activity.db, base + 20, base + 21)).toEqual({ rows: 2, keys: 2 });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`dailyfeed_dead_letters{group="${group}",status="parked",service="activity-svc"} 3`);
    expect(metrics).toContain(`dailyfeed_dead_letters{group="${group}",status="pending",service="activity-svc"} 0`);
    expect(metrics).toMatch(new RegExp(`dailyfeed_consumer_lag\\{group="${group}",service="activity-svc"\\} \\d+`));
  });
});

describe.skipIf(missing)('day rollover and housekeeping (injected clock)', () => {
  const kafka = testKafka('activity-rollover-test');
  // 12:00 in Seoul on 2027-03-10: far from the real date, so nothing else writes these topics.
  const clock = manualClock(new Date('2027-03-10T03:00:00.000Z'));
  const day = (n: number) => new Date(Date.parse('2027-03-10T03:00:00.000Z') + n * 86_400_000);
  let config: ActivityConfig;
  let app: ServiceApp;
  const base = memberBase();

  beforeAll(async () => {
    config = testConfig({ DAILYFEED_TOPIC_RETENTION_DAYS: '7' });
    app = await buildApp(config, { logger: false, clock });
  });
  afterAll(async () => {
    await app?.close();
    await deleteGroup(kafka, config.ACTIVITY_CONSUMER_GROUP);
    await deleteTopicsWithPrefix(kafka, config.DAILYFEED_TOPIC_PREFIX);
  });

  it('picks up the next days\' topics without a restart', { timeout: 120_000 }, async () => {
    const naming = { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE };
    const publisher = createKafkaEventPublisher({ kafka, naming, partitions: 3, replicationFactor: 1, acks: '1', clock });
    try {
      await publisher.publish([event({ type: 'POST_CREATE', memberId: base, postId: base, now: clock.now() })]); // creates day 0 and 1
      await waitFor('day 0 stored', 30_000, async () => (await countRows(app.activity.db, base, base + 1)).rows === 1);
      clock.set(day(1));
      await publisher.publish([event({ type: 'POST_CREATE', memberId: base, postId: base + 1, now: clock.now() })]);
      await waitFor('day 1 stored', 30_000, async () => (await countRows(app.activity.db, base, base + 1)).rows === 2);
      clock.set(day(2));
      await publisher.publish([event({ type: 'POST_CREATE', memberId: base, postId: base + 2, now: clock.now() })]); // creates day 2 and 3
      await waitFor('day 2 stored', 30_000, async () => (await countRows(app.activity.db, base, base + 1)).rows === 3);
      expect(app.activity.consumer!.listener.topics).toEqual([topicOf(naming, day(1)), topicOf(naming, day(2)), topicOf(naming, day(3))]);
    } finally {
      await publisher.close();
    }
  });

  it('deletes the topics past the retention in one replica', { timeout: 60_000 }, async () => {
    const naming = { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE };
    const old = [topicOf(naming, day(-6)), topicOf(naming, day(-5))]; // today is day 2: 8 and 7 days ago
    await createTopics(kafka, old, 1);
    const runner = createJobRunner({ pool: app.activity.db, logger: { info() {}, warn() {}, error() {} } });
    const job = app.activity.jobDefinitions.housekeeping;
    runner.schedule({ ...job, everyMs: 3_600_000, runOnStart: false });
    try {
      expect(await runner.tick(job.name)).toBe('ran');
    } finally {
      await runner.stop();
    }
    const admin = kafka.admin();
    await admin.connect();
    const left = (await admin.listTopics()).filter((t) => t.startsWith(naming.prefix)).sort();
    await admin.disconnect();
    expect(left).toEqual([topicOf(naming, day(-5)), topicOf(naming, day(0)), topicOf(naming, day(1)), topicOf(naming, day(2)), topicOf(naming, day(3))]);
  });
});
