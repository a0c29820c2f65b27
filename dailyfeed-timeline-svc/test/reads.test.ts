/** Post and comment reads: views, READ events, hydration, 404s, and cursor stability under inserts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import type { ActivityEvent, EventPublisher } from '../dailyfeed-shared/src/events/index.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { buildApp } from '../src/app.ts';
import { Fixtures } from './fixtures.ts';
import { skipReason, testConfig } from './helpers.ts';

const skip = await skipReason(['postgres', 'redis']);

describe.skipIf(skip)('post and comment reads', () => {
  let app: ServiceApp;
  let fake: FakeMemberService;
  let fx: Fixtures;
  const published: ActivityEvent[] = [];
  let hang = false;
  const publisher: EventPublisher = {
    publish: async (events) => {
      if (hang) return new Promise<void>(() => undefined); // a broker that never answers
      published.push(...events);
    },
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };

  beforeAll(async () => {
    fx = new Fixtures();
    fake = await startFakeMemberService();
    app = await buildApp({ ...testConfig(), MEMBER_SVC_URL: fake.url }, { logger: false, publisher });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await fx?.close();
  });

  const get = async (memberId: string, url: string) => {
    const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${fake.tokenFor({ id: memberId })}` } });
    return { status: response.statusCode, body: response.json() };
  };

  it('post detail counts a view for non-authors only and publishes POST_READ', async () => {
    const [author, reader] = [await fx.member(), await fx.member()];
    const postId = await fx.post(author, { title: 'T', content: 'body' });
    await fx.like(postId, reader);
    const own = await get(author, `/api/timeline/posts/${postId}`);
    expect(own.status).toBe(200);
    expect(own.body.data.viewCount).toBe(0);
    expect(own.body.data.liked).toBe(false);
    const first = await get(reader, `/api/timeline/posts/${postId}`);
    expect(first.body.data).toMatchObject({ id: postId, title: 'T', content: 'body', viewCount: 1, likeCount: 1, liked: true, commentCount: 0, imageIds: [] });
    expect(first.body.data.author.id).toBe(author);
    expect((await get(reader, `/api/timeline/posts/${postId}`)).body.data.viewCount).toBe(2);
    expect(published.filter((e) => e.type === 'POST_READ' && e.postId === postId).map((e) => e.memberId)).toEqual([reader, reader]);
    const stats = await get(author, `/api/timeline/statistics/posts/${postId}`);
    expect(stats.body.data).toEqual({ viewCount: 2, likeCount: 1, commentCount: 0 });
  });

  it('a read never waits for a broker that does not answer', async () => {
    const [author, reader] = [await fx.member(), await fx.member()];
    const postId = await fx.post(author);
    hang = true;
    try {
      const started = Date.now();
      const response = await get(reader, `/api/timeline/posts/${postId}`);
      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      hang = false;
    }
  });

  it('404s for missing and deleted posts and comments, 400 for bad ids', async () => {
    const author = await fx.member();
    const postId = await fx.post(author);
    const commentId = await fx.comment(postId, author);
    await fx.deletePost(postId);
    for (const url of [`/api/timeline/posts/${postId}`, `/api/timeline/posts/${postId}/comments`, `/api/timeline/statistics/posts/${postId}`]) {
      const response = await get(author, url);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('POST_NOT_FOUND');
    }
    expect((await get(author, `/api/timeline/comments/${commentId}`)).body.code).toBe('COMMENT_NOT_FOUND'); // its post is gone
    expect((await get(author, '/api/timeline/posts/abc')).status).toBe(400);
    expect((await get(author, '/api/timeline/posts/999999999999999')).status).toBe(404);
  });

  it('comments oldest first, replies, my comments newest first, with liked and authors', async () => {
    const [author, c1, c2] = [await fx.member(), await fx.member(), await fx.member()];
    const postId = await fx.post(author);
    const base = Date.now() - 10_000;
    const top: string[] = [];
    for (let i = 0; i < 5; i++) top.push(await fx.comment(postId, i % 2 ? c1 : c2, { createdAt: new Date(base + i * 100) }));
    const reply = await fx.comment(postId, c1, { parentId: top[0] as string, createdAt: new Date(base + 1000) });
    const reply2 = await fx.comment(postId, c2, { parentId: reply, createdAt: new Date(base + 2000) });
    await fx.likeComment(top[1] as string, author);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(author, `/api/timeline/posts/${postId}/comments?size=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.content.map((c: { id: string }) => c.id));
      if (!cursor) expect(page.body.data.content[1]).toMatchObject({ liked: true, likeCount: 1, depth: 0, parentId: null, postId });
      cursor = page.body.data.nextCursor;
    } while (cursor);
    expect(seen).toEqual(top);

    const replies = await get(author, `/api/timeline/comments/${top[0]}/replies`);
    expect(replies.body.data.content.map((c: { id: string }) => c.id)).toEqual([reply]);
    expect((await get(author, `/api/timeline/comments/${reply}`)).body.data).toMatchObject({ depth: 1, parentId: top[0], replyCount: 1 });
    expect(published.some((e) => e.type === 'COMMENT_READ' && e.commentId === reply)).toBe(true);
    const mine = await get(c1, '/api/timeline/comments');
    expect(mine.body.data.content.map((c: { id: string }) => c.id)).toEqual([reply, top[3], top[1]]);
    expect(mine.body.data.content[0].author.id).toBe(c1);
    expect((await get(c2, '/api/timeline/comments?size=1')).body.data.content.map((c: { id: string }) => c.id)).toEqual([reply2]);
  });

  it('author and my posts page without skipping or repeating while posts are inserted', async () => {
    const author = await fx.member();
    const expected: string[] = [];
    const base = Date.now() - 100_000;
    for (let i = 0; i < 40; i++) expected.unshift(await fx.post(author, { createdAt: new Date(base + Math.floor(i / 4) * 1000) })); // 4 per ms
    const viewer = await fx.member();
    for (const url of [`/api/timeline/posts/authors/${author}`, '/api/timeline/posts']) {
      const who = url === '/api/timeline/posts' ? author : viewer;
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await get(who, `${url}?size=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.data.content.map((p: { id: string }) => p.id));
        cursor = page.body.data.nextCursor;
        await fx.post(author); // a newer post arrives between page loads
      } while (cursor);
      expect(seen.slice(seen.length - expected.length)).toEqual(expected);
      expect(new Set(seen).size).toBe(seen.length);
      expected.length = 0;
      const { rows } = await fx.pool.query<{ id: string }>('SELECT id::text AS id FROM content.posts WHERE author_id = $1 ORDER BY created_at DESC, id DESC', [author]);
      expected.push(...rows.map((r) => r.id));
    }
  });

  it('size is clamped, negative size and forged cursors are 400', async () => {
    const m = await fx.member();
    expect((await get(m, '/api/timeline/posts?size=1000')).body.data.size).toBeLessThanOrEqual(100);
    expect((await get(m, '/api/timeline/posts?size=-3')).status).toBe(400);
    expect((await get(m, '/api/timeline/posts?cursor=%7B%7D')).body.code).toBe('INVALID_CURSOR');
    expect((await get(m, '/api/timeline/posts/most-popular?cursor=abc')).body.code).toBe('INVALID_CURSOR');
  });
});
