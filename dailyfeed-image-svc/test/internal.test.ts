import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { fixtures, multipart, newMember, startTestApp, stopTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'minio']);

describe.skipIf(missing)('internal image API and cleanup', () => {
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let alice: ReturnType<typeof newMember>;
  let bob: ReturnType<typeof newMember>;
  let db: pg.Client;
  beforeAll(async () => {
    ctx = await startTestApp();
    alice = newMember(ctx.member);
    bob = newMember(ctx.member);
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await stopTestApp(ctx);
  });

  const uploadAs = async (who: { token: string }) => {
    const body = multipart({ filename: 'a.png', contentType: 'image/png', data: await fixtures.png() });
    const res = await ctx.app.inject({ method: 'POST', url: '/api/images/upload', headers: { ...body.headers, authorization: `Bearer ${who.token}` }, payload: body.payload });
    return res.json().data.id as string;
  };
  const internal = (path: string, payload: object) => ctx.app.inject({ method: 'POST', url: `/internal/images/${path}`, payload });

  it('attaches only live images of the owner, all or nothing', async () => {
    const mine = await uploadAs(alice);
    const theirs = await uploadAs(bob);
    const ok = await internal('attach', { ownerId: alice.id, imageIds: [mine], purpose: 'post', targetId: '42' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().data).toEqual({ attached: 1 });
    const foreign = await internal('attach', { ownerId: alice.id, imageIds: [mine, theirs], purpose: 'post' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('IMAGE_FORBIDDEN');
    const unknown = await internal('attach', { ownerId: alice.id, imageIds: ['999999999999'], purpose: 'post' });
    expect(unknown.statusCode).toBe(404);
    const bad = await internal('attach', { ownerId: alice.id, imageIds: [], purpose: 'post' });
    expect(bad.statusCode).toBe(400);
    const row = await db.query('SELECT attached_to FROM image.images WHERE id = $1', [theirs]);
    expect(row.rows[0].attached_to).toBeNull();
  });

  it('bulk delete removes the owner\'s images and ignores others\'', async () => {
    const mine = await uploadAs(alice);
    const theirs = await uploadAs(bob);
    const res = await internal('delete', { ownerId: alice.id, imageIds: [mine, theirs] });
    expect(res.json().data).toEqual({ count: 1 });
    expect(await ctx.app.storage.list(`images/${mine}/`)).toEqual([]);
    expect(await ctx.app.storage.list(`images/${theirs}/`)).toHaveLength(3);
  });

  it('the cleanup removes images never attached within the TTL and keeps attached ones', async () => {
    const stale = await uploadAs(alice);
    const attached = await uploadAs(alice);
    const fresh = await uploadAs(alice);
    await internal('attach', { ownerId: alice.id, imageIds: [attached], purpose: 'profile' });
    await db.query(`UPDATE image.images SET created_at = now() - interval '25 hours' WHERE id = ANY($1::bigint[])`, [[stale, attached]]);
    const removed = await ctx.app.images.removeUnattached(new Date(Date.now() - 24 * 3_600_000), 1000);
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(await ctx.app.storage.list(`images/${stale}/`)).toEqual([]);
    expect(await ctx.app.storage.list(`images/${attached}/`)).toHaveLength(3);
    expect(await ctx.app.storage.list(`images/${fresh}/`)).toHaveLength(3);
    const detached = await internal('detach', { ownerId: alice.id, imageIds: [attached] });
    expect(detached.json().data).toEqual({ count: 1 });
    expect((await db.query('SELECT attached_at FROM image.images WHERE id = $1', [attached])).rows[0].attached_at).toBeNull();
  });
});
