/**
 * The follow feed's page memo: its bookkeeping with a fake clock and epoch, then the real thing
 * on Redis (own db index): a memoised page goes as soon as Redis announces a change of the
 * reader's feed or liked set, a flush, or a lapse of tracking, long before its age runs out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { buildApp } from '../src/app.ts';
import { FeedPageMemo } from '../src/feed/page-memo.ts';
import { Fixtures } from './fixtures.ts';
import { event, skipReason, testConfig, testRedis, waitFor } from './helpers.ts';

/** A build the test finishes by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('page memo bookkeeping', () => {
  const setup = (maxPages = 100) => {
    const clock = { now: 1_000, epoch: 1 as number | null };
    const memo = new FeedPageMemo<string>({ maxPages, maxAgeMs: 500, epoch: () => clock.epoch, now: () => clock.now });
    let builds = 0;
    const store = (reader: string, variant: string, value: string) =>
      memo.page(reader, variant, async () => {
        builds += 1;
        return value;
      });
    return { clock, memo, store, builds: () => builds };
  };

  it('serves a page for its maximum age from the start of its build, then builds it again', async () => {
    const { clock, memo, store, builds } = setup();
    await memo.page('r1', '20', async () => {
      clock.now += 100; // the build takes 100 ms
      return 'page';
    });
    clock.now += 399;
    expect(await store('r1', '20', 'new')).toBe('page');
    expect(await store('r1', '10', 'other size')).toBe('other size'); // another size is another page
    expect(builds()).toBe(1);
    clock.now += 1;
    expect(await store('r1', '20', 'new')).toBe('new');
    expect(memo.stats).toMatchObject({ hit: 1, absent: 2, expired: 1 });
  });

  it('shares one build among concurrent asks of a page, unless the reader changed since it began', async () => {
    const { memo, builds, store } = setup();
    const first = deferred<string>();
    const a = memo.page('r1', '20', () => first.promise);
    const b = store('r1', '20', 'second build');
    first.resolve('first build');
    expect([await a, await b]).toEqual(['first build', 'first build']);
    expect(builds()).toBe(0);
    expect(memo.stats.joined).toBe(1);

    const slow = deferred<string>();
    const c = memo.page('r2', '20', () => slow.promise);
    memo.keyChanged('tl:feed:r2'); // the reader changed while the page was being built
    const d = store('r2', '20', 'after the change');
    slow.resolve('before the change');
    expect(await c).toBe('before the change'); // asked before the change: may have it
    expect(await d).toBe('after the change');
    expect(await store('r2', '20', 'x')).toBe('after the change'); // the later build is the one kept
  });

  it('does not keep a page whose reader changed during its build; other readers do not matter', async () => {
    const { memo, store } = setup();
    const b1 = deferred<string>();
    const b2 = deferred<string>();
    const p1 = memo.page('r1', '20', () => b1.promise);
    const p2 = memo.page('r2', '20', () => b2.promise);
    memo.keyChanged('tl:feed:r1');
    b1.resolve('stale');
    b2.resolve('fine');
    await Promise.all([p1, p2]);
    expect(memo.get('r1', '20')).toBeUndefined();
    expect(memo.get('r2', '20')).toBe('fine');
    const b3 = deferred<string>();
    const p3 = memo.page('r2', '10', () => b3.promise);
    memo.keyChanged('tl:liked:r2');
    b3.resolve('stale');
    await p3;
    expect(memo.get('r2', '10')).toBeUndefined();
    expect(memo.get('r2', '20')).toBeUndefined(); // the announcement dropped the kept page too
    memo.keyChanged('tl:rank:pop:24h'); // not a reader's key
    await store('r3', '20', 'kept');
    expect(memo.get('r3', '20')).toBe('kept');
  });

  it('a flush or a tracking lapse drops everything and refuses builds that began before it', async () => {
    const { clock, memo, store } = setup();
    await store('r1', '20', 'a');
    const during = deferred<string>();
    const p = memo.page('r2', '20', () => during.promise);
    memo.keyChanged(null);
    during.resolve('b');
    await p;
    expect(memo.get('r1', '20')).toBeUndefined();
    expect(memo.get('r2', '20')).toBeUndefined();

    await store('r1', '20', 'a');
    const before = deferred<string>();
    const q = memo.page('r2', '20', () => before.promise);
    clock.epoch = 2; // the tracked connection was lost and tracks again
    before.resolve('b');
    await q;
    expect(memo.get('r1', '20')).toBeUndefined(); // read in an older epoch
    expect(memo.get('r2', '20')).toBeUndefined();
    clock.epoch = null; // not tracking: every ask builds, nothing is kept
    expect(await store('r1', '20', 'c')).toBe('c');
    expect(await store('r1', '20', 'd')).toBe('d');
  });

  it('keeps at most maxPages pages, dropping the least recently stored readers, and a few per reader', async () => {
    const { memo, store } = setup(5);
    for (const variant of ['1', '2', '3', '4', '5']) await store('r1', variant, variant);
    expect(memo.size).toBe(4); // four variants per reader
    expect(memo.get('r1', '1')).toBeUndefined();
    await store('r2', '20', 'x');
    expect(memo.size).toBe(5);
    await store('r3', '20', 'y'); // over the bound: r1, the least recent, goes whole
    expect(memo.size).toBe(2);
    expect(memo.get('r1', '5')).toBeUndefined();
    expect(memo.get('r2', '20')).toBe('x');
    expect(memo.get('r3', '20')).toBe('y');
  });

  it('remembers a bounded number of changes during builds, then refuses every build in flight', async () => {
    const { memo, store } = setup();
    const slow = deferred<string>();
    const p = memo.page('r0', '20', () => slow.promise);
    for (let i = 1; i <= 10_000; i++) memo.dropReader(`r${i}`);
    await store('x', '20', 'kept'); // 10,000 changes of others: still remembered one by one
    expect(memo.get('x', '20')).toBe('kept');
    memo.dropReader('r10001');
    slow.resolve('refused');
    await p;
    expect(memo.get('r0', '20')).toBeUndefined();
  });

  it('a failed build keeps nothing and fails every ask that joined it; the next ask builds', async () => {
    const { memo, store } = setup();
    const failing = deferred<string>();
    const a = memo.page('r1', '20', () => failing.promise);
    const b = store('r1', '20', 'unused');
    failing.reject(new Error('redis down'));
    await expect(a).rejects.toThrow('redis down');
    await expect(b).rejects.toThrow('redis down');
    expect(memo.size).toBe(0);
    expect(await store('r1', '20', 'built')).toBe('built');
  });
});

const skip = await skipReason(['postgres', 'redis']);

describe.skipIf(skip)('page memo on Redis key tracking', () => {
  let app: ServiceApp;
  let fake: FakeMemberService;
  let fx: Fixtures;
  let redis: Redis;

  beforeAll(async () => {
    fx = new Fixtures();
    redis = testRedis();
    fake = await startFakeMemberService();
    // A long age: only announcements and events can make a page go within these tests.
    app = await buildApp({ ...testConfig({ FEED_PAGE_MEMO_MS: '5000' }), MEMBER_SVC_URL: fake.url }, { logger: false, publisher: null });
    await app.ready();
    await waitFor('key tracking', 5_000, () => tracking());
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await fx?.close();
    redis?.disconnect();
  });

  const read = async (readerId: string) => {
    const response = await app.inject({ method: 'GET', url: '/api/timeline/posts/followings?size=20', headers: { authorization: `Bearer ${fake.tokenFor({ id: readerId })}` } });
    expect(response.statusCode).toBe(200);
    return { body: response.body, posts: response.json().data.content as Array<{ id: string; liked: boolean }> };
  };
  const memoStats = () => ({ ...app.timeline.memo!.stats });
  const tracking = () => app.timeline.tracking?.epoch !== null;
  /** Reads until a read is answered by the memo (a reader's first read rebuilds its set: that change drops the first page). */
  const untilMemoised = (readerId: string) =>
    waitFor('a memoised page', 1_000, async () => {
      const before = memoStats().hit;
      await read(readerId);
      return memoStats().hit > before;
    });
  /** Reads until the page shows `expected` (the announcement is asynchronous); returns the ms. */
  const readUntil = (readerId: string, what: string, expected: (posts: Array<{ id: string; liked: boolean }>) => boolean) =>
    waitFor(what, 1_000, async () => expected((await read(readerId)).posts));

  it('answers a repeated read from the memo, byte for byte', async () => {
    const [reader, a] = [await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    const p1 = await fx.post(a);
    const built = await read(reader);
    expect(built.posts.map((p) => p.id)).toEqual([p1]);
    await untilMemoised(reader);
    const before = memoStats();
    const memoised = await read(reader);
    expect(memoStats().hit).toBe(before.hit + 1);
    expect(memoised.body).toBe(built.body);
  });

  it('a fanned-out post, a removed entry and a like reach a memoised page within a second', async () => {
    const [reader, a] = [await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    const p1 = await fx.post(a, { createdAt: new Date(Date.now() - 1000) });
    expect((await read(reader)).posts.map((p) => p.id)).toEqual([p1]);
    await untilMemoised(reader);

    const p2 = await fx.post(a);
    await app.timeline.handle(event({ type: 'POST_CREATE', memberId: a, postId: p2 }));
    const created = await readUntil(reader, 'the new post', (posts) => posts[0]?.id === p2);

    await fx.like(p1, reader);
    await app.timeline.handle(event({ type: 'LIKE_POST', memberId: reader, postId: p1 }));
    const liked = await readUntil(reader, 'liked', (posts) => posts.find((p) => p.id === p1)?.liked === true);

    // Another replica handled the delete (not this one): only the set's change tells this one.
    await fx.deletePost(p2);
    await redis.zrem(`tl:feed:${reader}`, `${p2.padStart(20, '0')}:${a}`);
    const removed = await readUntil(reader, 'the removed entry', (posts) => !posts.some((p) => p.id === p2));
    console.log(`memoised page changed after: new post ${created} ms, like ${liked} ms, removed entry ${removed} ms (max age 5000 ms)`);
  });

  it('a follow change handled here drops the reader\'s pages at once', async () => {
    const [reader, a, b] = [await fx.member(), await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    const pa = await fx.post(a);
    const pb = await fx.post(b);
    expect((await read(reader)).posts.map((p) => p.id)).toEqual([pa]);
    await untilMemoised(reader);
    await fx.follow(reader, b);
    await app.timeline.handle(event({ type: 'MEMBER_FOLLOW', memberId: reader, targetMemberId: b }));
    expect((await read(reader)).posts.map((p) => p.id)).toEqual([pb, pa]);
  });

  it('a flush empties the memo; a page is not memoised while tracking is lost, and a change made meanwhile is seen', async () => {
    const [reader, a] = [await fx.member(), await fx.member()];
    await fx.follow(reader, a);
    const p1 = await fx.post(a, { createdAt: new Date(Date.now() - 1000) });
    await untilMemoised(reader);
    expect(app.timeline.memo!.size).toBeGreaterThan(0);
    await redis.flushdb(); // our own db index only (testRedisUrl)
    await waitFor('the flush announced', 1_000, () => app.timeline.memo!.size === 0);

    expect((await read(reader)).posts.map((p) => p.id)).toEqual([p1]); // rebuilt
    await untilMemoised(reader);
    expect(app.timeline.memo!.size).toBeGreaterThan(0);
    await redis.client('KILL', 'ID', app.timeline.tracking!.listenerId as string); // the announcements are lost from here
    await waitFor('the lapse noticed', 1_000, () => app.timeline.memo!.size === 0);
    const p2 = await fx.post(a);
    await app.timeline.handle(event({ type: 'POST_CREATE', memberId: a, postId: p2 })); // maybe unannounced: nobody may listen
    expect((await read(reader)).posts.map((p) => p.id)).toEqual([p2, p1]);
    await waitFor('tracking again', 5_000, () => tracking());
    await untilMemoised(reader);
  });
});
