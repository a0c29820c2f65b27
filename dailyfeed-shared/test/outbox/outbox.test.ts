/**
 * The transactional outbox against real PostgreSQL (DATABASE_URL: a role that may create a
 * schema, the admin URL in CI) and a real Kafka broker (KAFKA_BROKERS). Each run works in a
 * throwaway schema and its own topic prefix, and removes both at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import pg from 'pg';
import { Registry } from 'prom-client';
import type { Admin } from 'kafkajs';
import { missingServers, runId } from '../../testing/servers.ts';
import { createActivityEvent, createKafka, datedTopicName, KafkaEventPublisher, type ActivityEvent, type EventPublisher } from '../../src/events/index.ts';
import { OutboxRelay, enqueueEvents, outboxDdl } from '../../src/events/outbox/index.ts';
import { advisoryLockKey } from '../../src/jobs/job-runner.ts';
import { brokers, testKafka, waitFor } from '../events/kafka-env.ts';

const missing = await missingServers(['postgres', 'kafka']);
const id = runId();
const schema = `outbox_test_${id}`;
const timeZone = 'Asia/Seoul';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

const like = (postId: number, memberId = 7) => createActivityEvent({ type: 'LIKE_POST', memberId, postId, timeZone });
const unlike = (postId: number, memberId = 7) => createActivityEvent({ type: 'LIKE_POST_CANCEL', memberId, postId, timeZone });

/** Records what it was asked to publish; fails while `failing` is set. */
function fakePublisher() {
  const published: ActivityEvent[] = [];
  const state = { failing: false, published };
  const publisher: EventPublisher = {
    publish: async (events) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (state.failing) throw new Error('broker down (fake)');
      published.push(...events);
    },
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };
  return { publisher, state };
}

async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(missing)('transactional outbox', () => {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 6 });
  const pool2 = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 3 });
  const prefix = `test-outbox-${id}-`;
  const closers: Array<() => Promise<unknown>> = [];
  let admin: Admin;

  const table = `"${schema}".outbox_events`;
  const commit = async (events: ActivityEvent[]) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await enqueueEvents(client, schema, events);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };
  const rowsOf = async (events: ActivityEvent[]) =>
    (
      await pool.query(`SELECT event_id, record_key, event_type, attempts, last_error, published_at, next_attempt_at > now() AS waiting FROM ${table} WHERE event_id = ANY($1) ORDER BY id`, [
        events.map((e) => e.eventId),
      ])
    ).rows;
  const relayWith = (publisher: EventPublisher, extra: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) => {
    const relay = new OutboxRelay({ pool, schema, publisher, logger: silent, pollIntervalMs: 600_000, ...extra });
    closers.push(() => relay.stop());
    return relay;
  };
  const kafkaPublisher = (brokerList: string[]) => {
    const publisher = new KafkaEventPublisher({
      kafka: createKafka({ brokers: brokerList, clientId: 'outbox-test', connectionTimeout: 1_000, retry: { retries: 0 } }),
      naming: { prefix, timeZone },
      partitions: 3,
      replicationFactor: 1,
      acks: '1',
      publishTimeoutMs: 1_500,
    });
    closers.push(() => publisher.close());
    return publisher;
  };
  /** Every record of today's topic of this run, until `until` or the deadline. */
  const readTopic = async (until: (eventIds: string[]) => boolean) => {
    const consumer = testKafka('outbox-test-reader').consumer({ groupId: `outbox-test-${runId()}`, sessionTimeout: 6_000 });
    const records: Array<{ key: string; eventId: string; headerEventId: string; type: string }> = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [datedTopicName(new Date(), { prefix, timeZone })], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = JSON.parse(message.value!.toString('utf8')) as ActivityEvent;
        records.push({ key: message.key!.toString('utf8'), eventId: value.eventId, headerEventId: String(message.headers?.eventId), type: value.type });
      },
    });
    try {
      await waitFor(() => until(records.map((r) => r.eventId)), 20_000, 'records on the topic');
    } finally {
      await consumer.disconnect();
    }
    return records;
  };

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(outboxDdl(schema));
    admin = testKafka('outbox-test-admin').admin();
    await admin.connect();
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    const mine = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
    await pool2.end();
  });

  it('stores events only with the transaction that wrote them, in order, through pg or a Prisma-style client', async () => {
    const rolledBack = [like(1)];
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await enqueueEvents(client, schema, rolledBack);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      // What Prisma's interactive transaction client offers: $executeRawUnsafe(sql, ...values).
      const prismaLike = { $executeRawUnsafe: (sql: string, ...values: unknown[]) => client.query(sql, values) };
      const events = [like(2), unlike(2), like(3)];
      await enqueueEvents(prismaLike, schema, events);
      await client.query('COMMIT');
      expect(await rowsOf(rolledBack)).toEqual([]);
      const rows = await rowsOf(events);
      expect(rows.map((r) => [r.event_id, r.record_key, r.event_type, r.attempts, r.published_at])).toEqual([
        [events[0]!.eventId, 'post:2', 'LIKE_POST', 0, null],
        [events[1]!.eventId, 'post:2', 'LIKE_POST_CANCEL', 0, null],
        [events[2]!.eventId, 'post:3', 'LIKE_POST', 0, null],
      ]);
      expect(() => outboxDdl('bad; name')).toThrow();
    } finally {
      client.release();
    }
    const { publisher } = fakePublisher();
    await relayWith(publisher).flush(); // leave nothing pending for the next tests
  });

  it('publishes right after a nudge, with the record key and eventId header, without waiting for a poll', async () => {
    const relay = relayWith(kafkaPublisher(brokers));
    relay.start();
    const events = [like(10), unlike(10), like(11)];
    await commit(events);
    const started = Date.now();
    relay.nudge();
    await waitFor(async () => (await rowsOf(events)).every((r) => r.published_at !== null), 10_000, 'published rows');
    expect(Date.now() - started).toBeLessThan(5_000); // the poll is 10 minutes: only the nudge explains it
    const records = await readTopic((ids) => events.every((e) => ids.includes(e.eventId)));
    const mine = records.filter((r) => events.some((e) => e.eventId === r.eventId));
    // One partition per key: the order holds per key, not across keys.
    const byKey = (list: Array<[string, string, string]>) => list.sort((a, b) => a[0].localeCompare(b[0]));
    expect(byKey(mine.map((r) => [r.key, r.eventId, r.headerEventId]))).toEqual(byKey(events.map((e) => [`post:${e.postId}`, e.eventId, e.eventId])));
  }, 30_000);

  it('a dead broker never loses an event: backoff with attempts and error, then every event once, in order per entity', async () => {
    const registry = new Registry();
    const down = relayWith(kafkaPublisher([`127.0.0.1:${await deadPort()}`]), { registry, maxBackoffMs: 400 });
    const events: ActivityEvent[] = [];
    for (let post = 20; post < 23; post += 1) events.push(like(post), unlike(post), like(post, 8), unlike(post, 8));
    for (const event of events) await commit([event]); // one transaction per write, as in a service
    await down.flush();
    let rows = await rowsOf(events);
    expect(rows.every((r) => r.published_at === null && r.attempts === 1 && r.waiting && r.last_error)).toBe(true);
    await down.flush(); // still in backoff: not attempted again
    rows = await rowsOf(events);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);

    const metrics = await registry.getSingleMetricAsString('outbox_backlog');
    expect(Number(/outbox_backlog (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(events.length);
    const age = await registry.getSingleMetricAsString('outbox_oldest_unpublished_age_seconds');
    expect(Number(/_seconds ([\d.e+-]+)/.exec(age)![1])).toBeGreaterThan(0);
    await down.stop();

    await new Promise((resolve) => setTimeout(resolve, 450)); // the backoff runs out
    const up = relayWith(kafkaPublisher(brokers));
    await up.flush();
    expect((await rowsOf(events)).every((r) => r.published_at !== null)).toBe(true);
    const records = await readTopic((ids) => events.every((e) => ids.includes(e.eventId)));
    const mine = records.filter((r) => events.some((e) => e.eventId === r.eventId));
    expect(new Set(mine.map((r) => r.eventId)).size).toBe(events.length);
    expect(mine).toHaveLength(events.length);
    for (let post = 20; post < 23; post += 1) {
      expect(mine.filter((r) => r.key === `post:${post}`).map((r) => r.eventId)).toEqual(events.filter((e) => e.postId === String(post)).map((e) => e.eventId));
    }
  }, 60_000);

  it('never publishes a later event of an entity while an earlier one waits in backoff; other entities go on', async () => {
    const { publisher, state } = fakePublisher();
    const relay = relayWith(publisher);
    const a1 = like(30);
    const b1 = like(31);
    const a2 = unlike(30);
    await commit([a1]);
    await commit([b1]);
    await commit([a2]);
    await pool.query(`UPDATE ${table} SET attempts = 1, next_attempt_at = now() + interval '1 hour' WHERE event_id = $1`, [a1.eventId]);
    await relay.flush();
    expect(state.published.map((e) => e.eventId)).toEqual([b1.eventId]);
    await pool.query(`UPDATE ${table} SET next_attempt_at = now() - interval '1 second' WHERE event_id = $1`, [a1.eventId]);
    await relay.flush();
    expect(state.published.map((e) => e.eventId)).toEqual([b1.eventId, a1.eventId, a2.eventId]);
  });

  it('once a retried event goes out, the others in backoff are published at once (no waiting out their backoff)', async () => {
    const { publisher, state } = fakePublisher();
    const relay = relayWith(publisher, { maxBackoffMs: 3_600_000 });
    const first = like(40);
    const second = like(41);
    await commit([first, second]);
    await pool.query(`UPDATE ${table} SET attempts = 3, next_attempt_at = now() + interval '1 hour' WHERE event_id = ANY($1)`, [[first.eventId, second.eventId]]);
    await pool.query(`UPDATE ${table} SET next_attempt_at = now() - interval '1 second' WHERE event_id = $1`, [first.eventId]);
    await relay.flush();
    expect(state.published.map((e) => e.eventId)).toEqual([first.eventId, second.eventId]);

    // The broker comes back and the first row out is a fresh one: after this relay's failure,
    // that success also releases what waits in backoff.
    state.failing = true;
    const waiting = like(42);
    await commit([waiting]);
    await relay.flush();
    await pool.query(`UPDATE ${table} SET next_attempt_at = now() + interval '1 hour' WHERE event_id = $1`, [waiting.eventId]);
    state.failing = false;
    const fresh = like(43);
    await commit([fresh]);
    await relay.flush();
    expect(state.published.map((e) => e.eventId).slice(2)).toEqual([fresh.eventId, waiting.eventId]);
  });

  it('backs off exponentially while publishing fails', async () => {
    const { publisher, state } = fakePublisher();
    state.failing = true;
    const relay = relayWith(publisher, { maxBackoffMs: 60_000 });
    const event = like(50);
    await commit([event]);
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await pool.query(`UPDATE ${table} SET next_attempt_at = now() - interval '1 second' WHERE event_id = $1`, [event.eventId]);
      await relay.flush();
      const row = (await pool.query(`SELECT attempts, EXTRACT(EPOCH FROM next_attempt_at - now()) * 1000 AS gap, last_error FROM ${table} WHERE event_id = $1`, [event.eventId])).rows[0];
      expect(row.attempts).toBe(attempt);
      expect(row.last_error).toContain('broker down');
      gaps.push(Number(row.gap));
    }
    for (let i = 1; i < gaps.length; i += 1) expect(gaps[i]! / gaps[i - 1]!).toBeGreaterThan(1.5);
    state.failing = false;
    await pool.query(`UPDATE ${table} SET next_attempt_at = now() - interval '1 second' WHERE event_id = $1`, [event.eventId]);
    await relay.flush();
    expect(state.published.map((e) => e.eventId)).toEqual([event.eventId]);
  });

  it('two replicas relaying at once publish every event exactly once (one relays at a time)', async () => {
    const one = fakePublisher();
    const two = fakePublisher();
    const relayOne = relayWith(one.publisher, { batchSize: 20 });
    const relayTwo = new OutboxRelay({ pool: pool2, schema, publisher: two.publisher, logger: silent, pollIntervalMs: 600_000, batchSize: 20 });
    closers.push(() => relayTwo.stop());
    const events = Array.from({ length: 200 }, (_, i) => (i % 2 ? unlike(100 + (i >> 1)) : like(100 + (i >> 1))));
    for (let i = 0; i < events.length; i += 20) await commit(events.slice(i, i + 20));
    for (let round = 0; round < 20 && (await rowsOf(events)).some((r) => r.published_at === null); round += 1) {
      await Promise.all([relayOne.flush(), relayTwo.flush(), relayOne.flush(), relayTwo.flush()]);
    }
    const ours = new Set(events.map((e) => e.eventId));
    const all = [...one.state.published, ...two.state.published].map((e) => e.eventId).filter((eventId) => ours.has(eventId));
    expect(all.sort()).toEqual([...ours].sort()); // each once: no duplicate, none missing
  });

  it('a replica that finds the lock taken looks again shortly, not at the next poll', async () => {
    const { publisher, state } = fakePublisher();
    const relay = relayWith(publisher); // polls every 10 minutes
    relay.start();
    await relay.flush();
    const holder = await pool2.connect(); // "another replica" in the middle of its batch
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`outbox:${schema}`)]);
      const event = like(70);
      await commit([event]);
      relay.nudge();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(state.published).toEqual([]);
      await holder.query('COMMIT');
      await waitFor(() => state.published.some((e) => e.eventId === event.eventId), 2_000, 'the retry after the lock was released');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  });

  it('prunes published rows older than the retention, and only those', async () => {
    const { publisher } = fakePublisher();
    const relay = relayWith(publisher, { retentionMs: 60_000 });
    const old = like(60);
    const recent = like(61);
    const pending = like(62);
    await commit([old, recent, pending]);
    await pool.query(`UPDATE ${table} SET published_at = now() - interval '2 minutes' WHERE event_id = $1`, [old.eventId]);
    await pool.query(`UPDATE ${table} SET published_at = now() WHERE event_id = $1`, [recent.eventId]);
    await pool.query(`UPDATE ${table} SET next_attempt_at = now() + interval '1 hour', created_at = now() - interval '1 day' WHERE event_id = $1`, [pending.eventId]);
    expect(await relay.prune()).toBeGreaterThanOrEqual(1);
    expect((await rowsOf([old, recent, pending])).map((r) => r.event_id)).toEqual([recent.eventId, pending.eventId]);
  });
});
