/**
 * Follow feed correctness end to end: events through a real Kafka topic into the `timeline-svc`
 * listener, the cached sets in Redis (own db index), the truth in PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { datedTopicName } from '../dailyfeed-shared/src/events/topics.ts';
import { buildApp } from '../src/app.ts';
import { FeedStore } from '../src/feed/feed-store.ts';
import { Fixtures } from './fixtures.ts';
import { cleanupKafka, createTopics, event, send, skipReason, testConfig, testKafka, testRedis, waitFor } from './helpers.ts';

const skip = await skipReason(['postgres', 'redis', 'kafka']);

describe.skipIf(skip)('follow feed', () => {
  let app: ServiceApp;
  let fake: FakeMemberService;
  let fx: Fixtures;
  let redis: Redis;
  let producer: Producer;
  let topic: string;
  const config = testConfig({ TIMELINE_CONSUMER_ENABLED: 'true', FEED_FANOUT_MAX_FOLLOWERS: '50' });
  const kafka = testKafka();
  const naming = { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE };

  beforeAll(async () => {
    fx = new Fixtures();
    redis = testRedis();
    fake = await startFakeMemberService();
    const now = new Date();
    topic = datedTopicName(now, naming);
    await createTopics(kafka, [datedTopicName(now, naming, -1), topic, datedTopicName(now, naming, 1)]);
    producer = kafka.producer();
    await producer.connect();
    app = await buildApp({ ...config, MEMBER_SVC_URL: fake.url }, { logger: false, publisher: null });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await cleanupKafka(kafka, config.DAILYFEED_TOPIC_PREFIX, config.TIMELINE_CONSUMER_GROUP);
    await fake?.close();
    await fx?.close();
    redis?.disconnect();
  });

  const feedOf = async (readerId: string, query = '') => {
    const response = await app.inject({ method: 'GET', url: `/api/timeline/posts/followings?size=100${query}`, headers: { authorization: `Bearer ${fake.tokenFor({ id: readerId })}` } });
    expect(response.statusCode).toBe(200);
    return response.json().data as { content: Array<{ id: string; author: { id: string; handle: string }; liked: boolean }>; hasNext: boolean; nextCursor: string | null };
  };
  const ids = async (readerId: string) => (await feedOf(readerId)).content.map((p) => p.id);

  it('builds a new reader feed from PostgreSQL, newest first, with authors and liked', async () => {
    const [reader, a, b, stranger] = [await fx.member(), await fx.member(), await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    await fx.follow(reader, b);
    const base = Date.now() - 60_000;
    const p1 = await fx.post(a, { createdAt: new Date(base) });
    const p2 = await fx.post(b, { createdAt: new Date(base + 1000) });
    const p3 = await fx.post(a, { createdAt: new Date(base + 1000) }); // same ms as p2: id breaks the tie
    await fx.post(stranger, { createdAt: new Date(base + 2000) });
    await fx.like(p2, reader);
    const page = await feedOf(reader);
    expect(page.content.map((p) => p.id)).toEqual([p3, p2, p1]);
    expect(page.content[1]?.liked).toBe(true);
    expect(page.content[0]?.author.id).toBe(a);
    expect(page.content[0]?.author.handle).toMatch(/^t/);
    expect(await app.timeline.feedStore.state(reader)).toBe('complete');
    // a like after the reader's liked set was built reaches it through LIKE_POST
    await fx.like(p1, reader);
    await app.timeline.handle(event({ type: 'LIKE_POST', memberId: reader, postId: p1 }));
    expect((await feedOf(reader)).content.map((p) => p.liked)).toEqual([false, true, true]);
  });

  it('shows liked on fanned-out and pulled authors\' posts alike, before and after the liked set is loaded', async () => {
    const [reader, star, a] = [await fx.member(), await fx.member(), await fx.member()];
    await fx.follow(reader, star);
    await fx.follow(reader, a);
    await fx.setFollowersCount(star, 51); // above FEED_FANOUT_MAX_FOLLOWERS=50: pulled at read time
    const base = Date.now() - 60_000;
    const posts = [];
    for (let i = 0; i < 6; i++) posts.unshift(await fx.post(i % 2 ? star : a, { createdAt: new Date(base + i * 1000) }));
    const likedIds = [posts[0], posts[3], posts[4]] as string[]; // two by the star, one by a
    for (const id of likedIds) await fx.like(id, reader);
    const expected = posts.map((id) => likedIds.includes(id));
    await redis.del(`tl:liked:${reader}`); // the first page loads the set
    expect((await feedOf(reader)).content.map((p) => p.liked)).toEqual(expected);
    expect(await redis.sismember(`tl:liked:${reader}`, '!')).toBe(1);
    const second = await feedOf(reader); // now from the set, read with the page in one round trip
    expect(second.content.map((p) => p.id)).toEqual(posts);
    expect(second.content.map((p) => p.liked)).toEqual(expected);
  });

  it('reads push the idle TTL back, but not on every read', async () => {
    const store = new FeedStore(redis, { cap: 50, ttlSeconds: 60 }); // touched at most every 15 s
    const reader = `ttl-${Date.now()}`;
    await store.beginRebuild(reader);
    await store.finishRebuild(reader, [{ postId: '1', authorId: '2', createdMs: 1_000 }]);
    const key = `tl:feed:${reader}`;
    await redis.expire(key, 10);
    expect((await store.page(reader, null, 10, `tl:liked:${reader}`)).entries.map((e) => e.postId)).toEqual(['1']);
    expect(await redis.ttl(key)).toBeGreaterThan(50); // the first read touched it
    await redis.expire(key, 10);
    await store.page(reader, null, 10, `tl:liked:${reader}`);
    expect(await redis.ttl(key)).toBeLessThanOrEqual(10); // the next one, right after, did not
    await redis.del(key);
  });

  it('fans a new post out within 5 s, removes it on delete, and follows/unfollows', async () => {
    const [reader, a, c] = [await fx.member(), await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    const old = await fx.post(a, { createdAt: new Date(Date.now() - 10_000) });
    const cPost = await fx.post(c, { createdAt: new Date(Date.now() - 5_000) });
    expect(await ids(reader)).toEqual([old]); // materialises the cached set

    const fresh = await fx.post(a);
    await send(producer, topic, [event({ type: 'POST_CREATE', memberId: a, postId: fresh })]);
    const ms = await waitFor('fan-out', 5_000, async () => (await redis.zscore(`tl:feed:${reader}`, `${fresh.padStart(20, '0')}:${a}`)) !== null);
    console.log(`post visible in the follower's cached feed ${ms} ms after its event was sent`);
    expect(await ids(reader)).toEqual([fresh, old]);

    await fx.deletePost(fresh);
    expect(await ids(reader)).toEqual([old]); // filtered at read time even before the event
    await send(producer, topic, [event({ type: 'POST_DELETE', memberId: a, postId: fresh })]);
    await waitFor('delete', 5_000, async () => (await redis.zscore(`tl:feed:${reader}`, `${fresh.padStart(20, '0')}:${a}`)) === null);

    await fx.follow(reader, c);
    await send(producer, topic, [event({ type: 'MEMBER_FOLLOW', memberId: reader, targetMemberId: c })]);
    await waitFor('follow', 5_000, async () => (await ids(reader)).includes(cPost));
    expect(await ids(reader)).toEqual([cPost, old]);

    await fx.unfollow(reader, a);
    await send(producer, topic, [event({ type: 'MEMBER_UNFOLLOW', memberId: reader, targetMemberId: a })]);
    await waitFor('unfollow', 5_000, async () => !(await ids(reader)).includes(old));
    expect(await ids(reader)).toEqual([cPost]);
  });

  it('a late create after the delete (out of order) never resurrects the post', async () => {
    const [reader, a] = [await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    expect(await ids(reader)).toEqual([]);
    const p = await fx.post(a);
    await app.timeline.handle(event({ type: 'POST_DELETE', memberId: a, postId: p }));
    await app.timeline.handle(event({ type: 'POST_CREATE', memberId: a, postId: p }));
    expect(await redis.zscore(`tl:feed:${reader}`, `${p.padStart(20, '0')}:${a}`)).toBeNull();
    // an unfollow handled before the follow it undoes: the follow row decides
    const b = await fx.member();
    const bPost = await fx.post(b);
    await fx.follow(reader, b);
    await app.timeline.handle(event({ type: 'MEMBER_UNFOLLOW', memberId: reader, targetMemberId: b, now: new Date(Date.now() + 1) }));
    await app.timeline.handle(event({ type: 'MEMBER_FOLLOW', memberId: reader, targetMemberId: b }));
    expect(await ids(reader)).toContain(bPost);
  });

  it('an event that cannot be handled yet becomes a dead letter, retried later; the partition moves on', async () => {
    const [reader, a] = [await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    expect(await ids(reader)).toEqual([]);
    const ghost = String(9_000_000_000_000 + Math.floor(Math.random() * 1e9));
    const next = await fx.post(a);
    await send(producer, topic, [event({ type: 'POST_CREATE', memberId: a, postId: ghost }), event({ type: 'POST_CREATE', memberId: a, postId: next })]);
    await waitFor('the next record handled', 5_000, async () => (await ids(reader)).includes(next));
    const consumer = app.timeline.consumer!;
    const letters = async () => (await consumer.store.pool.query<{ status: string }>(`SELECT status FROM timeline.dead_letters WHERE consumer_group = $1 AND error LIKE $2`, [config.TIMELINE_CONSUMER_GROUP, `%${ghost}%`])).rows;
    await waitFor('the dead letter', 5_000, async () => (await letters()).length === 1);
    expect((await letters())[0]?.status).toBe('pending');
    await fx.postWithId(ghost, a); // the row becomes visible
    await consumer.store.pool.query(`UPDATE timeline.dead_letters SET next_attempt_at = now() WHERE consumer_group = $1`, [config.TIMELINE_CONSUMER_GROUP]);
    const outcome = await consumer.retry.runOnce();
    expect(outcome.resolved).toBeGreaterThanOrEqual(1);
    expect((await letters())[0]?.status).toBe('resolved');
    expect(await ids(reader)).toContain(ghost);
  });

  it('with the post cache on, a deleted post leaves the page as soon as its event is handled', async () => {
    const cached = await buildApp({ ...testConfig({ POST_CACHE_TTL_MS: '60000' }), MEMBER_SVC_URL: fake.url }, { logger: false, publisher: null });
    try {
      const [reader, a] = [await fx.member(), await fx.member()];
      await fx.follow(reader, a);
      const [p1, p2] = [await fx.post(a, { createdAt: new Date(Date.now() - 2000) }), await fx.post(a)];
      const read = async () => {
        const response = await cached.inject({ method: 'GET', url: '/api/timeline/posts/followings', headers: { authorization: `Bearer ${fake.tokenFor({ id: reader })}` } });
        return (response.json().data.content as Array<{ id: string }>).map((p) => p.id);
      };
      expect(await read()).toEqual([p2, p1]);
      await fx.deletePost(p2);
      await cached.timeline.handle(event({ type: 'POST_DELETE', memberId: a, postId: p2 }));
      expect(await read()).toEqual([p1]);
    } finally {
      await cached.close();
    }
  });

  it('survives a Redis flush: the feed is rebuilt, never empty', async () => {
    const [reader, a, b] = [await fx.member(), await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    await fx.follow(reader, b);
    const posts = [];
    for (let i = 0; i < 30; i++) posts.unshift(await fx.post(i % 2 ? a : b, { createdAt: new Date(Date.now() - 100_000 + i * 1000) }));
    const before = await ids(reader);
    expect(before).toEqual(posts);
    const rebuilds = app.timeline.feed.stats.rebuilds;
    await redis.flushdb(); // our own db index only (testRedisUrl)
    expect(await ids(reader)).toEqual(posts);
    expect(app.timeline.feed.stats.rebuilds).toBe(rebuilds + 1);
  });

  it('pulls authors above the hybrid threshold at read time and merges them', async () => {
    const [reader, star, a] = [await fx.member(), await fx.member(), await fx.member()];
    await fx.follow(reader, star);
    await fx.follow(reader, a);
    await fx.setFollowersCount(star, 51); // above FEED_FANOUT_MAX_FOLLOWERS=50
    const p1 = await fx.post(a, { createdAt: new Date(Date.now() - 3000) });
    expect(await ids(reader)).toEqual([p1]);
    const s1 = await fx.post(star, { createdAt: new Date(Date.now() - 2000) });
    await app.timeline.handle(event({ type: 'POST_CREATE', memberId: star, postId: s1 }));
    expect(await redis.zscore(`tl:feed:${reader}`, `${s1.padStart(20, '0')}:${star}`)).toBeNull(); // not fanned out
    const p2 = await fx.post(a);
    await app.timeline.handle(event({ type: 'POST_CREATE', memberId: a, postId: p2 }));
    expect(await ids(reader)).toEqual([p2, s1, p1]);

    // with the pulled-authors cache on: a big author's new post shows once its event is handled
    const cached = await buildApp({ ...testConfig({ FEED_FANOUT_MAX_FOLLOWERS: '50', PULLED_CACHE_TTL_MS: '5000' }), MEMBER_SVC_URL: fake.url }, { logger: false, publisher: null });
    try {
      const read = async () => {
        const response = await cached.inject({ method: 'GET', url: '/api/timeline/posts/followings', headers: { authorization: `Bearer ${fake.tokenFor({ id: reader })}` } });
        return (response.json().data.content as Array<{ id: string }>).map((p) => p.id);
      };
      expect(await read()).toEqual([p2, s1, p1]);
      const s2 = await fx.post(star);
      await cached.timeline.handle(event({ type: 'POST_CREATE', memberId: star, postId: s2 }));
      expect(await read()).toEqual([s2, p2, s1, p1]);
    } finally {
      await cached.close();
    }
  });

  it('pages past the cached prefix from PostgreSQL without skipping or repeating', async () => {
    const small = await buildApp({ ...testConfig({ FEED_CACHE_SIZE: '50' }), MEMBER_SVC_URL: fake.url }, { logger: false, publisher: null });
    try {
      const [reader, a, b] = [await fx.member(), await fx.member(), await fx.member()];
      await fx.follow(reader, a);
      await fx.follow(reader, b);
      const expected: string[] = [];
      for (let i = 0; i < 130; i++) expected.unshift(await fx.post(i % 3 ? a : b, { createdAt: new Date(Date.now() - 1_000_000 + Math.floor(i / 2) * 1000) }));
      const token = fake.tokenFor({ id: reader });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await small.inject({ method: 'GET', url: `/api/timeline/posts/followings?size=17${cursor ? `&cursor=${cursor}` : ''}`, headers: { authorization: `Bearer ${token}` } });
        const data = response.json().data as { content: Array<{ id: string }>; nextCursor: string | null };
        seen.push(...data.content.map((p) => p.id));
        cursor = data.nextCursor;
      } while (cursor);
      expect(seen).toEqual(expected);
      expect(await small.timeline.feedStore.state(reader)).toBe('partial');
    } finally {
      await small.close();
    }
  });

  it('serves the naive implementation only when enabled, and rejects bad cursors with 400', async () => {
    const reader = await fx.member();
    const token = fake.tokenFor({ id: reader });
    const bad = await app.inject({ method: 'GET', url: '/api/timeline/posts/followings?cursor=zzz', headers: { authorization: `Bearer ${token}` } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_CURSOR');
    const negative = await app.inject({ method: 'GET', url: '/api/timeline/posts/followings?size=-1', headers: { authorization: `Bearer ${token}` } });
    expect(negative.statusCode).toBe(400);
    const anonymous = await app.inject({ method: 'GET', url: '/api/timeline/posts/followings' });
    expect(anonymous.statusCode).toBe(401);
  });
});
