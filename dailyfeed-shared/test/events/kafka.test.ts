/**
 * Event layer against a real broker. Each run has its own topic prefix and group ids and
 * deletes its topics at the end. Skipped (with the reason printed) when no broker answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { runWithRequestContext } from '../../src/http/request-context.ts';
import {
  DatedTopicAdmin,
  DatedTopicListener,
  EventDecodeError,
  EventPublishError,
  KafkaEventPublisher,
  createActivityEvent,
  createKafka,
  datedTopicName,
  encodeEventValue,
  recordKeyOf,
  type ActivityEvent,
  type ListenerFailure,
  type RecordMeta,
} from '../../src/events/index.ts';
import { manualClock, probeKafka, testKafka, uniqueId, waitFor } from './kafka-env.ts';

const unavailable = await probeKafka();
if (unavailable) console.warn(`[test/events/kafka.test.ts] SKIPPED: ${unavailable}`);

const timeZone = 'Asia/Seoul';
const prefix = `${uniqueId('ev')}-`;
const naming = { prefix, timeZone };
const DAY = 86_400_000;
const listenerTimings = { sessionTimeout: 6_000, heartbeatInterval: 1_000, windowCheckIntervalMs: 300, maxWaitTimeInMs: 1_000 };

describe.skipIf(unavailable !== null)('event layer on Kafka', () => {
  let kafka: Kafka;
  let admin: Admin;
  const closers: Array<() => Promise<unknown>> = [];
  const groups: string[] = [];

  const publisher = (clock = manualClock(new Date())) => {
    const p = new KafkaEventPublisher({ kafka, naming, partitions: 3, replicationFactor: 1, acks: '1', clock });
    closers.push(() => p.close());
    return p;
  };

  const listener = (clock: { now(): Date }, handle: (e: ActivityEvent, m: RecordMeta) => Promise<void>, onFailure: (f: ListenerFailure) => Promise<void>) => {
    const groupId = uniqueId('group');
    groups.push(groupId);
    const l = new DatedTopicListener({ kafka, groupId, naming, clock, handle, onFailure, ...listenerTimings });
    closers.push(() => l.stop());
    return l;
  };

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(closers.map((close) => close().catch(() => undefined)));
    const mine = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }, 60_000);

  it('round-trips events through the publisher and the listener, with headers', async () => {
    const clock = manualClock(new Date());
    const events = [
      createActivityEvent({ type: 'POST_CREATE', memberId: 1, postId: 10, timeZone }),
      createActivityEvent({ type: 'COMMENT_CREATE', memberId: 2, postId: 10, commentId: 20, timeZone }),
      createActivityEvent({ type: 'MEMBER_FOLLOW', memberId: 3, targetMemberId: 1, timeZone }),
    ];
    const traceId = 'ab'.repeat(16);
    const started = Date.now();
    await runWithRequestContext({ requestId: 'req-1', traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` }, () => publisher(clock).publish(events));
    const publishMs = Date.now() - started;

    const received: Array<{ event: ActivityEvent; meta: RecordMeta }> = [];
    const l = listener(clock, async (event, meta) => void received.push({ event, meta }), async (f) => {
      throw new Error(`unexpected failure ${String(f.error)}`);
    });
    const t0 = Date.now();
    await l.start();
    await waitFor(() => received.length >= 3, 30_000, 'three events');
    console.info(`[timing] first publish (connect + ensure topics + send) ${publishMs} ms; listener start to 3 events ${Date.now() - t0} ms`);

    const today = datedTopicName(clock.now(), naming);
    expect(l.topics).toContain(today);
    expect(received.map((r) => r.event).sort((a, b) => a.memberId.localeCompare(b.memberId))).toEqual(events);
    for (const { event, meta } of received) {
      expect(meta.topic).toBe(today);
      expect(meta.key).toBe(recordKeyOf(event));
      expect(meta.headers.eventId).toBe(event.eventId);
      expect(meta.headers.eventType).toBe(event.type);
      expect(meta.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    }
    await waitFor(async () => (await l.lag()) === 0, 10_000, 'lag 0 after commits');
  }, 60_000);

  it('picks up the next days\' topics when its clock moves, without a restart', async () => {
    // Far from the other tests' days: 2031-05-10 12:00 in Seoul.
    const day0 = new Date('2031-05-10T03:00:00Z');
    const clock = manualClock(day0);
    const pub = publisher(clock);
    await pub.ensureTopics(); // day0 and day0+1
    const received: ActivityEvent[] = [];
    const l = listener(clock, async (event) => void received.push(event), async (f) => {
      throw new Error(`unexpected failure ${String(f.error)}`);
    });
    await l.start();
    expect(l.topics).toEqual([datedTopicName(day0, naming), datedTopicName(day0, naming, 1)]);

    const first = createActivityEvent({ type: 'LIKE_POST', memberId: 1, postId: 1, timeZone });
    await pub.publish([first]);
    await waitFor(() => received.length === 1, 30_000, 'the day-0 event');

    // Two days later: a topic the listener has never seen, created by the publisher's keeper.
    const day2 = new Date(day0.getTime() + 2 * DAY);
    clock.set(day2);
    const t0 = Date.now();
    const second = createActivityEvent({ type: 'LIKE_POST', memberId: 1, postId: 2, timeZone });
    await pub.publish([second]); // ensures day2 and day3, publishes to day2
    await waitFor(() => received.length === 2, 30_000, 'the day-2 event');
    console.info(`[timing] window move to a new day's topic until its event arrived: ${Date.now() - t0} ms`);
    expect(received.map((e) => e.eventId)).toEqual([first.eventId, second.eventId]);
    expect(l.topics).toEqual([datedTopicName(day2, naming, -1), datedTopicName(day2, naming), datedTopicName(day2, naming, 1)]);
  }, 90_000);

  it('sends a poison record to onFailure and goes on; a failing onFailure is retried, not skipped', async () => {
    const clock = manualClock(new Date('2031-06-01T03:00:00Z'));
    const pub = publisher(clock);
    await pub.ensureTopics();
    const topic = datedTopicName(clock.now(), naming);
    const good = (n: number) => createActivityEvent({ type: 'POST_UPDATE', memberId: 5, postId: 500, timeZone, now: new Date(Date.UTC(2031, 5, 1, 3, 0, n)) });
    const [a, b, c, d] = [good(1), good(2), good(3), good(4)];
    // Same key, so one partition and one order.
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'post:500', value: encodeEventValue(a) },
        { key: 'post:500', value: '{"version":1, not json' },
        { key: 'post:500', value: JSON.stringify({ ...JSON.parse(encodeEventValue(b)), version: 99 }) },
        { key: 'post:500', value: encodeEventValue(b) }, // handle throws for this one
        { key: 'post:500', value: encodeEventValue(c) }, // onFailure is never reached for c
        { key: 'post:500', value: encodeEventValue(d) },
      ],
    });
    await producer.disconnect();

    const handled: string[] = [];
    const failures: ListenerFailure[] = [];
    let onFailureCalls = 0;
    let retriedOnce = false;
    const l = listener(
      clock,
      async (event) => {
        if (event.eventId === b.eventId) throw new Error('store down');
        handled.push(event.eventId);
      },
      async (failure) => {
        onFailureCalls++;
        // The dead-letter store fails once for b: b must be retried, and c must wait for it.
        if (failure.event?.eventId === b.eventId && !retriedOnce) {
          retriedOnce = true;
          throw new Error('dead-letter store down');
        }
        failures.push(failure);
      },
    );
    await l.start();
    await waitFor(() => handled.length === 3, 45_000, 'the records behind the poison ones');
    expect(handled).toEqual([a.eventId, c.eventId, d.eventId]);
    expect(failures).toHaveLength(3);
    expect(failures[0]?.error).toBeInstanceOf(EventDecodeError);
    expect(failures[0]?.value?.toString()).toBe('{"version":1, not json');
    expect(failures[0]?.offset).toBe('1');
    expect(String(failures[1]?.error)).toMatch(/unknown event version 99/);
    expect(failures[2]?.event?.eventId).toBe(b.eventId);
    expect(String(failures[2]?.error)).toMatch(/store down/);
    expect(retriedOnce).toBe(true);
    expect(onFailureCalls).toBe(4); // b's dead letter failed once and was retried
    await waitFor(async () => (await l.lag()) === 0, 10_000, 'lag 0');
  }, 90_000);

  it('ensures topics idempotently when called concurrently (racing replicas)', async () => {
    const now = new Date('2031-07-01T03:00:00Z');
    const p1 = publisher(manualClock(now));
    const p2 = new KafkaEventPublisher({ kafka: testKafka('replica-2'), naming, partitions: 3, replicationFactor: 1, acks: 'all' });
    closers.push(() => p2.close());
    await Promise.all([p1.ensureTopics(now), p2.ensureTopics(now), p1.ensureTopics(now)]);
    await Promise.all([p1.ensureTopics(now), p2.ensureTopics(now)]);
    const names = [datedTopicName(now, naming), datedTopicName(now, naming, 1)];
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual(names.map((n) => [n, 3]));
  }, 60_000);

  it('deletes the dated topics older than the retention, and only its prefix\'s', async () => {
    const now = new Date('2031-08-20T03:00:00Z');
    // Its own prefix: the other tests' topics (far-future days) must not be in the way.
    const retentionNaming = { prefix: `${prefix}retention-`, timeZone };
    const otherPrefix = `${prefix}other-`;
    const names = [-10, -8, -7, 0].map((offset) => datedTopicName(now, retentionNaming, offset));
    const foreign = datedTopicName(now, { prefix: otherPrefix, timeZone }, -30);
    await admin.createTopics({ topics: [...names, foreign].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
    const topicAdmin = new DatedTopicAdmin({ kafka, naming: retentionNaming });
    closers.push(() => topicAdmin.close());
    try {
      const deleted = await topicAdmin.deleteTopicsOlderThan(7, now);
      expect(deleted).toEqual([names[0], names[1]]);
      await waitFor(async () => !(await admin.listTopics()).includes(names[0]!), 10_000, 'topic deletion');
      expect((await topicAdmin.listDatedTopics()).map((t) => t.name)).toEqual([names[2], names[3]]);
      expect(await admin.listTopics()).toContain(foreign);
      expect(await topicAdmin.deleteTopicsOlderThan(7, now)).toEqual([]);
    } finally {
      await admin.deleteTopics({ topics: [foreign] }).catch(() => undefined);
    }
  }, 60_000);
});

describe('publisher without a broker', () => {
  it('does not block at start and fails a publish with EventPublishError within a bounded time', async () => {
    const dead = new KafkaEventPublisher({
      kafka: createKafka({ brokers: ['127.0.0.1:1'], clientId: 'unreachable', connectionTimeout: 1_000 }),
      naming: { prefix: 'never-', timeZone },
      partitions: 3,
      replicationFactor: 1,
      acks: '1',
      publishTimeoutMs: 5_000,
    });
    const t0 = Date.now();
    const keeper = dead.startTopicKeeper();
    expect(Date.now() - t0).toBeLessThan(50);
    const started = Date.now();
    const error = await dead.publish([createActivityEvent({ type: 'POST_CREATE', memberId: 1, postId: 1, timeZone })]).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    console.info(`[timing] publish to an unreachable broker failed after ${elapsed} ms`);
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError).code).toBe('EVENT_PUBLISH_FAILED');
    expect((error as Error).cause).toBeDefined();
    expect(elapsed).toBeLessThan(6_000);
    keeper.stop();
    await dead.close();
  }, 20_000);
});
