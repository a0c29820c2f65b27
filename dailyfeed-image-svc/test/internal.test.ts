import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { fixtures, multipart, newMember, startTestApp, stopTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'minio']);

describe.skipIf(missing)('internal image API', () => {
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

  it('an image serves one target at a time: attaching it elsewhere is 409 IMAGE_IN_USE, the same target again is fine', async () => {
    const image = await uploadAs(alice);
    expect((await internal('attach', { ownerId: alice.id, imageIds: [image], purpose: 'post', targetId: '100' })).statusCode).toBe(200);
    expect((await internal('attach', { ownerId: alice.id, imageIds: [image], purpose: 'post', targetId: '100' })).statusCode).toBe(200);
    const otherPost = await internal('attach', { ownerId: alice.id, imageIds: [image], purpose: 'post', targetId: '101' });
    expect(otherPost.statusCode).toBe(409);
    expect(otherPost.json().code).toBe('IMAGE_IN_USE');
    expect((await internal('attach', { ownerId: alice.id, imageIds: [image], purpose: 'profile' })).statusCode).toBe(409);
    await internal('detach', { ownerId: alice.id, imageIds: [image] });
    expect((await internal('attach', { ownerId: alice.id, imageIds: [image], purpose: 'profile' })).statusCode).toBe(200);
  });

  it('bulk delete removes the owner\'s images and ignores others\'', async () => {
    const mine = await uploadAs(alice);
    const theirs = await uploadAs(bob);
    const res = await internal('delete', { ownerId: alice.id, imageIds: [mine, theirs] });
    expect(res.json().data).toEqual({ count: 1 });
    expect(await ctx.app.storage.list(`images/${mine}/`)).toEqual([]);
    expect(await ctx.app.storage.list(`images/${theirs}/`)).toHaveLength(3);
  });

  it('detach frees the owner\'s images only; attach and detach are idempotent', async () => {
    const mine = await uploadAs(alice);
    const theirs = await uploadAs(bob);
    await internal('attach', { ownerId: bob.id, imageIds: [theirs], purpose: 'post', targetId: '9' });
    expect((await internal('attach', { ownerId: alice.id, imageIds: [mine], purpose: 'profile' })).json().data).toEqual({ attached: 1 });
    expect((await internal('attach', { ownerId: alice.id, imageIds: [mine], purpose: 'profile' })).json().data).toEqual({ attached: 1 });
    const row = async (id: string) => (await db.query('SELECT purpose, attached_to, attached_at FROM image.images WHERE id = $1', [id])).rows[0];
    expect((await row(mine)).purpose).toBe('profile');
    expect((await row(mine)).attached_at).not.toBeNull();
    // alice cannot detach bob's image: nothing changes
    const detached = await internal('detach', { ownerId: alice.id, imageIds: [mine, theirs] });
    expect(detached.json().data).toEqual({ count: 1 });
    expect((await row(mine)).attached_at).toBeNull();
    expect((await row(theirs)).attached_to).toBe('9');
    expect((await internal('detach', { ownerId: alice.id, imageIds: [mine] })).statusCode).toBe(200);
    const bad = await internal('detach', { ownerId: 'abc', imageIds: [mine] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
  });
});
