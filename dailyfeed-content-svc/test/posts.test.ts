import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { startTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'kafka']);

describe.skipIf(missing)('posts and post likes', () => {
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let alice: ReturnType<Awaited<ReturnType<typeof startTestApp>>['newMember']>;
  let bob: typeof alice;
  beforeAll(async () => {
    ctx = await startTestApp();
    alice = ctx.newMember();
    bob = ctx.newMember();
  });
  afterAll(() => ctx.close());

  const call = (method: string, url: string, who: typeof alice | null, payload?: unknown) =>
    ctx.app.inject({ method: method as 'GET', url, headers: who ? who.auth : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  const createPost = async (who = alice, body: object = { content: 'hello dailyfeed', title: 'first' }) => {
    const res = await call('POST', '/api/posts', who, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data;
  };

  it('creates a post in the api.md shape', async () => {
    const post = await createPost();
    expect(post).toMatchObject({ title: 'first', content: 'hello dailyfeed', imageIds: [], imageUrls: [], likeCount: 0, commentCount: 0, viewCount: 0, liked: false });
    expect(post.id).toMatch(/^[1-9][0-9]*$/);
    expect(post.author).toMatchObject({ id: alice.id, handle: `m${alice.id}` });
    expect(post.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('validates input with 400s and never coerces types', async () => {
    for (const body of [{}, { content: '' }, { content: '   ' }, { content: 'x'.repeat(5001) }, { content: 123 }, { content: 'ok', title: 'x'.repeat(201) }, { content: 'ok', imageIds: Array.from({ length: 11 }, (_, i) => String(i + 1)) }, { content: 'ok', imageIds: ['abc'] }]) {
      const res = await call('POST', '/api/posts', alice, body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.json().result).toBe('FAIL');
    }
    expect((await call('POST', '/api/posts', alice, { content: 'x'.repeat(5000) })).statusCode).toBe(201);
    expect((await call('PUT', '/api/posts/abc', alice, { content: 'x' })).statusCode).toBe(400);
  });

  it('refuses images when no image service can check them', async () => {
    const res = await call('POST', '/api/posts', alice, { content: 'with picture', imageIds: ['12345'] });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('IMAGE_NOT_FOUND');
  });

  it('lets only the author update and delete; a deleted post is 404 everywhere', async () => {
    const post = await createPost();
    const updated = await call('PUT', `/api/posts/${post.id}`, alice, { content: 'edited' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().data).toMatchObject({ content: 'edited', title: 'first' });
    expect((await call('PUT', `/api/posts/${post.id}`, bob, { content: 'mine now' })).json()).toMatchObject({ status: 403, code: 'POST_UPDATE_FORBIDDEN' });
    expect((await call('DELETE', `/api/posts/${post.id}`, bob)).json()).toMatchObject({ status: 403, code: 'POST_DELETE_FORBIDDEN' });
    expect((await call('DELETE', `/api/posts/${post.id}`, alice)).statusCode).toBe(204);
    for (const [method, url, body] of [['PUT', `/api/posts/${post.id}`, { content: 'again' }], ['DELETE', `/api/posts/${post.id}`], ['POST', `/api/posts/${post.id}/like`], ['POST', '/api/comments', { postId: post.id, content: 'hi' }]] as const) {
      const res = await call(method, url, alice, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().code).toBe('POST_NOT_FOUND');
    }
    expect((await call('PUT', '/api/posts/999999999999', alice, { content: 'x' })).json().code).toBe('POST_NOT_FOUND');
  });

  it('likes are exact: 409 twice, 404 unlike twice, like then unlike restores the count', async () => {
    const post = await createPost();
    expect((await call('POST', `/api/posts/${post.id}/like`, bob)).statusCode).toBe(201);
    const again = await call('POST', `/api/posts/${post.id}/like`, bob);
    expect(again.json()).toMatchObject({ status: 409, code: 'POST_LIKE_ALREADY_EXISTS' });
    expect((await call('DELETE', `/api/posts/${post.id}/like`, bob)).statusCode).toBe(204);
    expect((await call('DELETE', `/api/posts/${post.id}/like`, bob)).json()).toMatchObject({ status: 404, code: 'POST_LIKE_NOT_FOUND' });
    const liked = await call('POST', `/api/posts/${post.id}/like`, alice);
    expect(liked.json().data).toEqual({ postId: post.id, likeCount: 1, liked: true });
    expect((await call('PUT', `/api/posts/${post.id}`, alice, { title: null })).json().data).toMatchObject({ likeCount: 1, liked: true, title: null });
  });

  it('100 parallel likes by one member make exactly one like', async () => {
    const post = await createPost();
    const results = await Promise.all(Array.from({ length: 100 }, () => call('POST', `/api/posts/${post.id}/like`, bob)));
    const codes = results.map((res) => res.statusCode);
    expect(codes.filter((code) => code === 201)).toHaveLength(1);
    expect(codes.filter((code) => code === 409)).toHaveLength(99);
    const check = await ctx.app.inject({ method: 'PUT', url: `/api/posts/${post.id}`, headers: alice.auth, payload: {} });
    expect(check.json().data.likeCount).toBe(1);
  });

  it('needs authentication, and answers 503 fast when member-svc is down', async () => {
    expect((await call('POST', '/api/posts', null, { content: 'x' })).statusCode).toBe(401);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { authorization: 'Bearer nope' }, payload: { content: 'x' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-relogin-required']).toBe('true');
    const fresh = ctx.newMember();
    ctx.member.failWith(503);
    try {
      const down = await call('POST', '/api/posts', fresh, { content: 'x' });
      expect(down.statusCode).toBe(503);
      expect(down.json().code).toBe('MEMBER_SERVICE_UNAVAILABLE');
    } finally {
      ctx.member.failWith(null);
    }
  });
});
