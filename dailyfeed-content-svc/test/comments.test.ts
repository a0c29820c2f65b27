import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { startTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'kafka']);

describe.skipIf(missing)('comments, replies and comment likes', () => {
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let alice: ReturnType<Awaited<ReturnType<typeof startTestApp>>['newMember']>;
  let bob: typeof alice;
  let db: pg.Client;
  beforeAll(async () => {
    ctx = await startTestApp();
    alice = ctx.newMember();
    bob = ctx.newMember();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await ctx.close();
  });

  const call = (method: string, url: string, who: typeof alice, payload?: object) =>
    ctx.app.inject({ method: method as 'GET', url, headers: who.auth, ...(payload ? { payload } : {}) });
  const post = async () => (await call('POST', '/api/posts', alice, { content: 'a post' })).json().data;
  const comment = async (postId: string, who = bob) => {
    const res = await call('POST', '/api/comments', who, { postId, content: 'a comment' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data;
  };
  const reply = (postId: string, parentId: string, who = alice) => call('POST', '/api/comments/replies', who, { postId, parentId, content: 'a reply' });
  const counts = async (postId: string) => (await db.query('SELECT comment_count FROM content.posts WHERE id = $1', [postId])).rows[0].comment_count;
  const replies = async (commentId: string) => (await db.query('SELECT reply_count FROM content.comments WHERE id = $1', [commentId])).rows[0].reply_count;

  it('creates comments and replies up to depth 2', async () => {
    const p = await post();
    const c0 = await comment(p.id);
    expect(c0).toMatchObject({ postId: p.id, parentId: null, depth: 0, likeCount: 0, replyCount: 0, liked: false, author: { id: bob.id } });
    const c1 = await reply(p.id, c0.id);
    expect(c1.statusCode).toBe(201);
    expect(c1.json().data).toMatchObject({ parentId: c0.id, depth: 1 });
    const c2 = await reply(p.id, c1.json().data.id);
    expect(c2.json().data.depth).toBe(2);
    const c3 = await reply(p.id, c2.json().data.id);
    expect(c3.json()).toMatchObject({ status: 422, code: 'COMMENT_DEPTH_LIMIT_EXCEEDED' });
    expect(await counts(p.id)).toBe(3);
    expect(await replies(c0.id)).toBe(1);
  });

  it('refuses a parent of another post, and unknown parents and posts', async () => {
    const p1 = await post();
    const p2 = await post();
    const c = await comment(p1.id);
    expect((await reply(p2.id, c.id)).json()).toMatchObject({ status: 400, code: 'PARENT_COMMENT_POST_MISMATCH' });
    expect((await reply(p1.id, '999999999999')).json()).toMatchObject({ status: 404, code: 'COMMENT_NOT_FOUND' });
    expect((await call('POST', '/api/comments', bob, { postId: '999999999999', content: 'x' })).json()).toMatchObject({ status: 404, code: 'POST_NOT_FOUND' });
    expect((await call('POST', '/api/comments', bob, { postId: p1.id, content: 'x'.repeat(1001) })).statusCode).toBe(400);
    expect((await call('POST', '/api/comments', bob, { postId: 12, content: 'x' })).statusCode).toBe(400);
  });

  it('lets only the owner edit or delete a comment', async () => {
    const p = await post();
    const c = await comment(p.id);
    expect((await call('PUT', `/api/comments/${c.id}`, alice, { content: 'hijack' })).json()).toMatchObject({ status: 403, code: 'COMMENT_UPDATE_FORBIDDEN' });
    expect((await call('DELETE', `/api/comments/${c.id}`, alice)).json()).toMatchObject({ status: 403, code: 'COMMENT_DELETE_FORBIDDEN' });
    const edited = await call('PUT', `/api/comments/${c.id}`, bob, { content: 'better' });
    expect(edited.json().data).toMatchObject({ content: 'better', id: c.id });
    expect((await call('PUT', '/api/comments/999999999999', bob, { content: 'x' })).json().code).toBe('COMMENT_NOT_FOUND');
  });

  it('deleting a comment deletes its whole subtree, one COMMENT_DELETE each, counters exact', async () => {
    const p = await post();
    const root = await comment(p.id);
    const sibling = await comment(p.id);
    const r1 = (await reply(p.id, root.id)).json().data;
    const r2 = (await reply(p.id, root.id)).json().data;
    const r11 = (await reply(p.id, r1.id)).json().data;
    expect(await counts(p.id)).toBe(5);
    expect((await call('DELETE', `/api/comments/${r1.id}`, alice)).statusCode).toBe(204);
    expect(await counts(p.id)).toBe(3);
    expect(await replies(root.id)).toBe(1);
    expect((await call('DELETE', `/api/comments/${root.id}`, bob)).statusCode).toBe(204);
    expect(await counts(p.id)).toBe(1);
    const deletes = await db.query(
      `SELECT payload->>'commentId' AS id FROM content.outbox_events WHERE event_type = 'COMMENT_DELETE' AND payload->>'postId' = $1 ORDER BY id`,
      [p.id],
    );
    expect(deletes.rows.map((row) => row.id).sort()).toEqual([r1.id, r11.id, root.id, r2.id].sort());
    for (const gone of [root, r1, r2, r11]) {
      expect((await call('PUT', `/api/comments/${gone.id}`, bob, { content: 'x' })).json().code).toBe('COMMENT_NOT_FOUND');
    }
    expect((await call('PUT', `/api/comments/${sibling.id}`, bob, { content: 'still here' })).statusCode).toBe(200);
  });

  it('comment likes: 201, 409, 204, 404, exact under concurrency', async () => {
    const p = await post();
    const c = await comment(p.id);
    const results = await Promise.all(Array.from({ length: 30 }, () => call('POST', `/api/comments/${c.id}/like`, alice)));
    expect(results.filter((res) => res.statusCode === 201)).toHaveLength(1);
    expect(results.filter((res) => res.statusCode === 409).every((res) => res.json().code === 'COMMENT_LIKE_ALREADY_EXISTS')).toBe(true);
    expect((await db.query('SELECT like_count FROM content.comments WHERE id = $1', [c.id])).rows[0].like_count).toBe(1);
    expect((await call('DELETE', `/api/comments/${c.id}/like`, alice)).statusCode).toBe(204);
    expect((await call('DELETE', `/api/comments/${c.id}/like`, alice)).json()).toMatchObject({ status: 404, code: 'COMMENT_LIKE_NOT_FOUND' });
    expect((await db.query('SELECT like_count FROM content.comments WHERE id = $1', [c.id])).rows[0].like_count).toBe(0);
  });

  it("a deleted post's comments are 404 on every comment route", async () => {
    const p = await post();
    const c = await comment(p.id);
    await call('POST', `/api/comments/${c.id}/like`, alice);
    expect((await call('DELETE', `/api/posts/${p.id}`, alice)).statusCode).toBe(204);
    for (const [method, url, body] of [
      ['PUT', `/api/comments/${c.id}`, { content: 'x' }],
      ['DELETE', `/api/comments/${c.id}`],
      ['POST', `/api/comments/${c.id}/like`],
      ['DELETE', `/api/comments/${c.id}/like`],
    ] as const) {
      const res = await call(method, url, method === 'DELETE' && url.endsWith('like') ? alice : bob, body);
      expect(res.json(), `${method} ${url}`).toMatchObject({ status: 404, code: 'COMMENT_NOT_FOUND' });
    }
    expect((await reply(p.id, c.id)).json()).toMatchObject({ status: 404, code: 'POST_NOT_FOUND' });
    expect((await call('POST', `/api/comments/${c.id}/like`, alice)).json().code).toBe('COMMENT_NOT_FOUND');
  });
});
