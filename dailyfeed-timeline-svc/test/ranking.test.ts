/** Rankings with a fixed clock: order, per-author cap, windows, deletes, and the flush fallback. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { buildApp } from '../src/app.ts';
import { Fixtures } from './fixtures.ts';
import { event, skipReason, testConfig, testRedis } from './helpers.ts';

const skip = await skipReason(['postgres', 'redis']);
const HOUR = 3_600_000;
// The fixed clock: far in the future of every other suite's rows, and moved 60 days on per
// test, so only the current test's posts fall in the windows.
const BASE = Date.UTC(2031, 5, 15, 12) + Math.floor(Math.random() * 1_000) * 365 * 24 * HOUR;
let NOW = BASE;

describe.skipIf(skip)('rankings', () => {
  let app: ServiceApp;
  let fake: FakeMemberService;
  let fx: Fixtures;
  let redis: Redis;
  let token: string;
  let viewer: string;

  beforeAll(async () => {
    fx = new Fixtures();
    redis = testRedis();
    fake = await startFakeMemberService();
    app = await buildApp({ ...testConfig({ RANKING_MAX_PER_AUTHOR: '2' }), MEMBER_SVC_URL: fake.url }, { logger: false, publisher: null, now: () => NOW });
    viewer = await fx.member();
    token = fake.tokenFor({ id: viewer });
  });
  beforeEach(async () => {
    NOW += 60 * 24 * HOUR;
    await redis.flushdb(); // own db index: rankings start empty, ready marker gone
    await app.timeline.rankings.rebuild();
  });
  afterAll(async () => {
    await fx?.retirePosts();
    await app?.close();
    await fake?.close();
    await fx?.close();
    redis?.disconnect();
  });

  const ranking = async (kind: string, window = '24h', extra = '') => {
    const response = await app.inject({ method: 'GET', url: `/api/timeline/posts/${kind}?window=${window}${extra}`, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    return response.json().data as { content: Array<{ id: string }>; hasNext: boolean; nextCursor: string | null };
  };
  const ids = async (kind: string, window = '24h') => (await ranking(kind, window)).content.map((p) => p.id);
  const touch = (postId: string) => app.timeline.handle(event({ type: 'LIKE_POST', memberId: viewer, postId }));

  it('orders by the time-decayed score and keeps it maintained by events', async () => {
    const [a, b, c, d] = [await fx.member(), await fx.member(), await fx.member(), await fx.member()];
    const fresh = await fx.post(a, { createdAt: new Date(NOW - 1 * HOUR) }); // 0 points, new
    const liked = await fx.post(b, { createdAt: new Date(NOW - 7 * HOUR) }); // older, 10 likes
    const commented = await fx.post(c, { createdAt: new Date(NOW - 3 * HOUR) }); // 3 comments
    const tooOld = await fx.post(d, { createdAt: new Date(NOW - 30 * HOUR) }); // outside 24h
    for (const post of [fresh, liked, commented, tooOld]) await app.timeline.handle(event({ type: 'POST_CREATE', memberId: a, postId: post }));
    for (let i = 0; i < 10; i++) await fx.like(liked, await fx.member());
    for (let i = 0; i < 3; i++) await fx.comment(commented, await fx.member());
    for (let i = 0; i < 30; i++) await fx.like(tooOld, await fx.member());
    await touch(liked);
    await app.timeline.handle(event({ type: 'COMMENT_CREATE', memberId: viewer, postId: commented, commentId: '1' }));
    await touch(tooOld);
    // points: liked 30 at -7h, commented 15 at -3h, fresh 0 at -1h (half-life 6 h):
    // log2(31) - 7/6 = 3.79, log2(16) - 3/6 = 3.5, log2(1) - 1/6 = -0.17
    expect(await ids('most-popular')).toEqual([liked, commented, fresh]);
    expect(await ids('most-popular', '7d')).toEqual([tooOld, liked, commented, fresh]);
    expect(await ids('most-commented')).toEqual([commented]);

    // views count too: 40 views on `fresh` lifts it to the top (log2(41) - 1/6 = 5.19)
    const viewerToken = fake.tokenFor({ id: await fx.member() });
    for (let i = 0; i < 40; i++) await app.inject({ method: 'GET', url: `/api/timeline/posts/${fresh}`, headers: { authorization: `Bearer ${viewerToken}` } });
    await app.timeline.handle(event({ type: 'POST_READ', memberId: viewer, postId: fresh }));
    expect(await ids('most-popular')).toEqual([fresh, liked, commented]);

    // deleted posts leave both rankings (event), and never show even before it (hydration)
    await fx.deletePost(commented);
    expect(await ids('most-commented')).toEqual([]);
    await app.timeline.handle(event({ type: 'POST_DELETE', memberId: c, postId: commented }));
    expect(await redis.zscore('tl:rank:cmt:24h', `${commented.padStart(20, '0')}:${c}`)).toBeNull();
    expect(await ids('most-popular')).toEqual([fresh, liked]);
  });

  it('caps posts per author and pages by offset', async () => {
    const [a, b] = [await fx.member(), await fx.member()];
    const aPosts: string[] = [];
    for (let i = 0; i < 4; i++) aPosts.push(await fx.post(a, { createdAt: new Date(NOW - (10 - i) * 60_000) }));
    const bPost = await fx.post(b, { createdAt: new Date(NOW - 20 * 60_000) });
    for (const p of [...aPosts, bPost]) await touch(p);
    const all = await ids('most-popular');
    expect(all.filter((id) => aPosts.includes(id))).toEqual([aPosts[3], aPosts[2]]); // newest two of a
    expect(all).toContain(bPost);
    const first = await ranking('most-popular', '24h', '&size=2');
    expect(first.hasNext).toBe(true);
    expect(all).toHaveLength(3);
    const second = await ranking('most-popular', '24h', `&size=2&cursor=${first.nextCursor}`);
    expect(second.hasNext).toBe(false);
    expect([...first.content, ...second.content].map((p) => p.id)).toEqual(all);
    const byPage = await ranking('most-popular', '24h', '&size=2&page=1');
    expect(byPage.content.map((p) => p.id)).toEqual(second.content.map((p) => p.id));
  });

  it('answers from SQL while the sets are missing (Redis flushed), in the same order', async () => {
    const [a, b] = [await fx.member(), await fx.member()];
    const p1 = await fx.post(a, { createdAt: new Date(NOW - 2 * HOUR) });
    const p2 = await fx.post(b, { createdAt: new Date(NOW - 5 * HOUR) });
    for (let i = 0; i < 5; i++) await fx.like(p2, await fx.member());
    await touch(p1);
    await touch(p2);
    const cached = await ids('most-popular');
    await redis.flushdb();
    expect(await ids('most-popular')).toEqual(cached); // SQL fallback, rebuild started
    await app.timeline.rankings.rebuild();
    expect(await redis.exists('tl:rank:ready')).toBe(1);
    expect(await ids('most-popular')).toEqual(cached);
  });
});
