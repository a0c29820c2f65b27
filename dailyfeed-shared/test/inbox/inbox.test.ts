/**
 * The shared inbox against real PostgreSQL (DATABASE_URL: a role that may create a schema,
 * the admin URL in CI) and Redis (REDIS_URL). Each run works in a throwaway schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { missingServers, runId } from '../../testing/servers.ts';
import { createActivityEvent, encodeEventValue, EventDecodeError, type ActivityEvent } from '../../src/events/index.ts';
import type { ListenerFailure, RecordMeta } from '../../src/events/dated-topic-listener.ts';
import {
  PgDeadLetterStore,
  RedisDedupGuard,
  backoffDelayMs,
  createDeadLetterRetry,
  deadLettersDdl,
  deduplicated,
  registerInboxMetrics,
} from '../../src/events/inbox/index.ts';

const missing = await missingServers(['postgres', 'redis']);
const id = runId();
const schema = `inbox_test_${id}`;

const failureOf = (event: ActivityEvent | null, offset: number, error: unknown, value?: Buffer): ListenerFailure => ({
  topic: `test-${id}-member-activity-20261128`,
  partition: 0,
  offset: String(offset),
  key: event ? `post:${event.postId}` : 'post:1',
  headers: event ? { eventId: event.eventId, eventType: event.type } : {},
  timestamp: String(Date.now()),
  value: value ?? (event ? Buffer.from(encodeEventValue(event)) : null),
  error,
  ...(event ? { event } : {}),
});

const like = (postId: number) => createActivityEvent({ type: 'LIKE_POST', memberId: 7, postId, timeZone: 'Asia/Seoul' });

async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(missing)('inbox: Redis dedup guard', () => {
  const redis = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
  afterAll(() => redis.disconnect());

  it('marks only after the handler stored, per consumer group, with a TTL', async () => {
    const guard = new RedisDedupGuard({ redis, group: `g-${id}`, ttlSeconds: 60 });
    const other = new RedisDedupGuard({ redis, group: `h-${id}`, ttlSeconds: 60 });
    const event = like(1);
    const stored: string[] = [];
    let fail = true;
    const handle = deduplicated(guard, async (e: ActivityEvent) => {
      if (fail) throw new Error('store down');
      stored.push(e.eventId);
    });
    await expect(handle(event, {})).rejects.toThrow('store down');
    expect(await guard.isDone(event.eventId)).toBe(false); // a failed store never marks
    fail = false;
    await handle(event, {});
    await handle(event, {}); // the duplicate is dropped
    expect(stored).toEqual([event.eventId]);
    expect(await guard.isDone(event.eventId)).toBe(true);
    expect(await other.isDone(event.eventId)).toBe(false);
    const ttl = await redis.ttl(guard.keyOf(event.eventId));
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    await redis.del(guard.keyOf(event.eventId));
  });

  it('lets events through, fast, when Redis is down', async () => {
    const dead = new Redis(`redis://127.0.0.1:${await deadPort()}`, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 1_000 });
    dead.on('error', () => undefined);
    await dead.connect().catch(() => undefined);
    const guard = new RedisDedupGuard({ redis: dead, group: `g-${id}`, timeoutMs: 200 });
    const started = Date.now();
    const seen: string[] = [];
    const handle = deduplicated(guard, async (e: ActivityEvent) => void seen.push(e.eventId));
    const event = like(2);
    await handle(event, {});
    await handle(event, {});
    expect(seen).toHaveLength(2); // Redis cannot tell: the store's upsert must absorb it
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(guard.failures).toBeGreaterThanOrEqual(4);
    dead.disconnect();
  });
});

describe.skipIf(missing)('inbox: dead letters in PostgreSQL', () => {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  let clock = new Date('2026-11-28T00:00:00.000Z');
  const store = () =>
    new PgDeadLetterStore({ pool, table: `${schema}.dead_letters`, backoff: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000 }, now: () => clock });
  const group = `g-${id}`;

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(deadLettersDdl(schema));
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  });

  it('backs off exponentially within bounds', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 5_000 };
    expect(backoffDelayMs(1, policy, () => 0.5)).toBe(1_000);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(2_000);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(4_000);
    expect(backoffDelayMs(9, policy, () => 0.5)).toBe(5_000);
    expect(backoffDelayMs(1, policy, () => 0)).toBe(800);
  });

  it('parks a malformed record at once, keeps one row per record, and retries a store failure until it works', async () => {
    const s = store();
    const poison = await s.store(group, failureOf(null, 10, new EventDecodeError('record value is not JSON'), Buffer.from('{nope')));
    expect(poison?.status).toBe('parked');
    expect(poison?.value?.toString()).toBe('{nope');
    expect(await s.store(group, failureOf(null, 10, new EventDecodeError('again')))).toBeNull();

    const event = like(3);
    const letter = await s.store(group, failureOf(event, 11, new Error('db down')));
    expect(letter).toMatchObject({ status: 'pending', attempts: 1, eventId: event.eventId });
    expect(await s.counts(group)).toEqual({ pending: 1, parked: 1 });

    const handled: ActivityEvent[] = [];
    let failuresLeft = 1;
    const retry = createDeadLetterRetry({
      store: s,
      group,
      handle: async (e: ActivityEvent, _meta: RecordMeta) => {
        if (failuresLeft-- > 0) throw new Error('still down');
        handled.push(e);
      },
    });
    expect(await retry.runOnce()).toEqual({ resolved: 0, retryLater: 0, parked: 0 }); // not due yet
    clock = new Date(clock.getTime() + 1_300);
    expect(await retry.runOnce()).toEqual({ resolved: 0, retryLater: 1, parked: 0 });
    const [again] = await s.list(group, 'pending');
    expect(again?.attempts).toBe(2);
    expect(again?.error).toContain('still down');
    clock = new Date(clock.getTime() + 2_500);
    expect(await retry.runOnce()).toEqual({ resolved: 1, retryLater: 0, parked: 0 });
    expect(handled.map((e) => e.eventId)).toEqual([event.eventId]);
    expect(await s.counts(group)).toEqual({ pending: 0, parked: 1 });
  });

  it('parks after the bounded number of attempts; an operator can requeue', async () => {
    const s = store();
    const g = `${group}-b`;
    await s.store(g, failureOf(like(4), 20, new Error('always')));
    const retry = createDeadLetterRetry({ store: s, group: g, handle: async () => { throw new Error('always'); } });
    for (let i = 0; i < 3; i++) {
      clock = new Date(clock.getTime() + 20_000);
      await retry.runOnce();
    }
    const [parked] = await s.list(g, 'parked');
    expect(parked?.attempts).toBe(3);
    expect(await s.counts(g)).toEqual({ pending: 0, parked: 1 });
    expect(await s.requeueParked(g)).toBe(1);
    expect(await s.counts(g)).toEqual({ pending: 1, parked: 0 });
  });

  it('purges resolved rows past their age, never parked or pending ones', async () => {
    const s = store();
    clock = new Date(clock.getTime() + 8 * 86_400_000);
    expect(await s.purgeResolved(group, 7 * 86_400_000)).toBe(1);
    expect((await s.list(group)).map((l) => l.status)).toEqual(['parked']);
  });

  it('exposes pending, parked, lag and dedup failures as gauges', async () => {
    const registry = new Registry();
    const s = store();
    registerInboxMetrics({ registry, group, store: s, lag: async () => 42 });
    registerInboxMetrics({ registry, group: `${group}-b`, store: s, lag: () => new Promise<number>(() => undefined), timeoutMs: 100 });
    const text = await registry.metrics();
    expect(text).toContain(`dailyfeed_dead_letters{group="${group}",status="parked"} 1`);
    expect(text).toContain(`dailyfeed_dead_letters{group="${group}",status="pending"} 0`);
    expect(text).toContain(`dailyfeed_dead_letters{group="${group}-b",status="pending"} 1`);
    expect(text).toContain(`dailyfeed_consumer_lag{group="${group}"} 42`);
  });
});
