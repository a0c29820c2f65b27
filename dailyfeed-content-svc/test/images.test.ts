// Post images through image-svc's internal API, impersonated by a real HTTP stand-in
// (the shared fake service, with image-svc's attach/detach routes and its rules: 404 unknown,
// 403 another member's, 409 attached to another target, idempotent for the same target).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { missingServers, runId } from '../dailyfeed-shared/testing/servers.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { startTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'kafka']);

describe.skipIf(missing)('post images (image-svc attach/detach)', () => {
  let images: FakeMemberService;
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let alice: ReturnType<typeof ctx.newMember>;
  let db: pg.Client;
  /** image id -> owner; a request for another's image is 403, an unknown one 404 (as image-svc). */
  const owners = new Map<string, string>();
  const attached = new Map<string, string>();
  const calls: Array<{ path: string; body: Record<string, unknown> }> = [];
  /** When set, attach answers this status whatever the ids (image-svc's other refusals). */
  let attachStatus: number | null = null;
  /** Posts whose content is this fail at COMMIT (a deferred trigger): after image-svc's attach. */
  const failAtCommit = `fail at commit ${runId()}`;
  const trigger = `test_fail_commit_${runId().replace(/[^a-z0-9]/gi, '_')}`.toLowerCase();

  beforeAll(async () => {
    images = await startFakeMemberService();
    images.route('POST', '/internal/images/attach', (_url, body) => {
      const request = body as { ownerId: string; imageIds: string[]; targetId: string };
      calls.push({ path: 'attach', body: body as Record<string, unknown> });
      if (attachStatus !== null) return { status: attachStatus, data: 'FAKE_REFUSAL' };
      for (const imageId of request.imageIds) {
        if (!owners.has(imageId)) return { status: 404, data: 'IMAGE_NOT_FOUND' };
        if (owners.get(imageId) !== request.ownerId) return { status: 403, data: 'IMAGE_FORBIDDEN' };
      }
      for (const imageId of request.imageIds) {
        const target = attached.get(imageId);
        if (target !== undefined && target !== request.targetId) return { status: 409, data: 'IMAGE_IN_USE' };
      }
      for (const imageId of request.imageIds) attached.set(imageId, request.targetId);
      return { status: 200, data: { attached: request.imageIds.length } };
    });
    images.route('POST', '/internal/images/detach', (_url, body) => {
      const request = body as { ownerId: string; imageIds: string[] };
      calls.push({ path: 'detach', body: body as Record<string, unknown> });
      for (const imageId of request.imageIds) attached.delete(imageId);
      return { status: 200, data: { count: request.imageIds.length } };
    });
    ctx = await startTestApp({ IMAGE_SVC_URL: images.url });
    alice = ctx.newMember();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    // A failure at COMMIT, the last moment a post write can fail, long after image-svc said yes.
    await db.query(`CREATE FUNCTION content.${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$`);
    await db.query(
      `CREATE CONSTRAINT TRIGGER ${trigger} AFTER INSERT OR UPDATE ON content.posts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.content = '${failAtCommit}') EXECUTE FUNCTION content.${trigger}()`,
    );
  });
  afterAll(async () => {
    await db.query(`DROP TRIGGER IF EXISTS ${trigger} ON content.posts`);
    await db.query(`DROP FUNCTION IF EXISTS content.${trigger}()`);
    await db.end();
    await ctx.close();
    await images.close();
  });

  const imageOf = (owner: { id: string }) => {
    const imageId = String(9_000_000_000 + Math.floor(Math.random() * 1_000_000_000));
    owners.set(imageId, owner.id);
    return imageId;
  };
  const call = (method: string, url: string, who: typeof alice, payload?: object) =>
    ctx.app.inject({ method: method as 'GET', url, headers: who.auth, ...(payload ? { payload } : {}) });
  const postCount = async (authorId: string) => (await db.query('SELECT count(*)::int AS n FROM content.posts WHERE author_id = $1', [authorId])).rows[0].n as number;

  it('attaches the caller own images (bulk profile call with the post id) and answers their URLs', async () => {
    const ids = [imageOf(alice), imageOf(alice)];
    const res = await call('POST', '/api/posts', alice, { content: 'two pictures', imageIds: ids });
    expect(res.statusCode, res.body).toBe(201);
    const post = res.json().data;
    expect(post.imageIds).toEqual(ids);
    expect(post.imageUrls).toEqual(ids.map((id) => `/api/images/view/${id}?variant=medium`));
    expect(calls.at(-1)).toEqual({ path: 'attach', body: { ownerId: alice.id, imageIds: ids, purpose: 'post', targetId: post.id } });
    expect(ids.map((id) => attached.get(id))).toEqual([post.id, post.id]);
  });

  it("refuses another member's image (403) and an unknown one (400), leaving no post behind", async () => {
    const bob = ctx.newMember();
    const before = await postCount(alice.id);
    const foreign = await call('POST', '/api/posts', alice, { content: 'not mine', imageIds: [imageOf(bob)] });
    expect(foreign.json()).toMatchObject({ status: 403, code: 'IMAGE_FORBIDDEN' });
    const unknown = await call('POST', '/api/posts', alice, { content: 'nothing', imageIds: ['123'] });
    expect(unknown.json()).toMatchObject({ status: 400, code: 'IMAGE_NOT_FOUND' });
    expect(await postCount(alice.id)).toBe(before);
  });

  it('answers 409 IMAGE_IN_USE for an image attached to another post, writes nothing and leaves that post its image', async () => {
    const shared = imageOf(alice);
    const first = (await call('POST', '/api/posts', alice, { content: 'first', imageIds: [shared] })).json().data;
    const before = await postCount(alice.id);
    const detachesBefore = calls.filter((call) => call.path === 'detach').length;
    const second = await call('POST', '/api/posts', alice, { content: 'second', imageIds: [imageOf(alice), shared] });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ status: 409, result: 'FAIL', code: 'IMAGE_IN_USE', path: '/api/posts' });
    // An edit adding it to another post is refused the same way.
    const other = (await call('POST', '/api/posts', alice, { content: 'other' })).json().data;
    expect((await call('PUT', `/api/posts/${other.id}`, alice, { imageIds: [shared] })).json()).toMatchObject({ status: 409, code: 'IMAGE_IN_USE' });
    expect((await db.query('SELECT image_ids::text[] AS image_ids FROM content.posts WHERE id = $1', [other.id])).rows[0].image_ids).toEqual([]);
    expect(await postCount(alice.id)).toBe(before + 1);
    // A refused attach is never undone: the image is the first post's.
    expect(calls.filter((call) => call.path === 'detach').length).toBe(detachesBefore);
    expect(attached.get(shared)).toBe(first.id);
  });

  it.each([
    [400, 400, 'IMAGE_NOT_FOUND'],
    [404, 400, 'IMAGE_NOT_FOUND'],
    [403, 403, 'IMAGE_FORBIDDEN'],
    [409, 409, 'IMAGE_IN_USE'],
    [422, 503, 'IMAGE_SERVICE_UNAVAILABLE'],
  ])('maps image-svc refusal %i to %i %s in the envelope', async (upstream, status, code) => {
    attachStatus = upstream;
    try {
      const res = await call('POST', '/api/posts', alice, { content: 'mapped', imageIds: [imageOf(alice)] });
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({ status, result: 'FAIL', code });
    } finally {
      attachStatus = null;
    }
  });

  it('detaches the images again when the post creation fails after attaching them', async () => {
    const [x, y] = [imageOf(alice), imageOf(alice)];
    const before = await postCount(alice.id);
    const res = await call('POST', '/api/posts', alice, { content: failAtCommit, imageIds: [x, y] });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ status: 500, result: 'FAIL' });
    expect(await postCount(alice.id)).toBe(before);
    expect(calls.at(-1)).toEqual({ path: 'detach', body: { ownerId: alice.id, imageIds: [x, y] } });
    expect([x, y].some((id) => attached.has(id))).toBe(false);
    // So they are free for the next try.
    expect((await call('POST', '/api/posts', alice, { content: 'second try', imageIds: [x, y] })).statusCode).toBe(201);
  });

  it('a failed edit detaches only the images it added, and keeps the post as it was', async () => {
    const [kept, added] = [imageOf(alice), imageOf(alice)];
    const post = (await call('POST', '/api/posts', alice, { content: 'before', imageIds: [kept] })).json().data;
    const res = await call('PUT', `/api/posts/${post.id}`, alice, { content: failAtCommit, imageIds: [added] });
    expect(res.statusCode).toBe(500);
    expect(calls.at(-1)).toEqual({ path: 'detach', body: { ownerId: alice.id, imageIds: [added] } });
    expect(attached.has(added)).toBe(false);
    expect(attached.get(kept)).toBe(post.id);
    const row = (await db.query('SELECT content, image_ids::text[] AS image_ids FROM content.posts WHERE id = $1', [post.id])).rows[0];
    expect(row).toEqual({ content: 'before', image_ids: [kept] });
  });

  it('detaches images removed by an edit and all of them when the post is deleted', async () => {
    const [a, b, c] = [imageOf(alice), imageOf(alice), imageOf(alice)];
    const post = (await call('POST', '/api/posts', alice, { content: 'pictures', imageIds: [a, b] })).json().data;
    const edited = await call('PUT', `/api/posts/${post.id}`, alice, { imageIds: [b, c] });
    expect(edited.json().data.imageIds).toEqual([b, c]);
    expect(attached.has(a)).toBe(false);
    expect(calls.filter((call) => call.path === 'detach').at(-1)!.body).toEqual({ ownerId: alice.id, imageIds: [a] });
    expect((await call('DELETE', `/api/posts/${post.id}`, alice)).statusCode).toBe(204);
    expect(calls.at(-1)).toEqual({ path: 'detach', body: { ownerId: alice.id, imageIds: [b, c] } });
    expect([b, c].some((id) => attached.has(id))).toBe(false);
  });

  it('answers 503 IMAGE_SERVICE_UNAVAILABLE when image-svc is down, and writes nothing', async () => {
    const before = await postCount(alice.id);
    images.failWith(503);
    try {
      const res = await call('POST', '/api/posts', alice, { content: 'later', imageIds: [imageOf(alice)] });
      expect(res.json()).toMatchObject({ status: 503, code: 'IMAGE_SERVICE_UNAVAILABLE' });
    } finally {
      images.failWith(null);
    }
    expect(await postCount(alice.id)).toBe(before);
    // Without images, image-svc is not needed at all.
    images.failWith(503);
    try {
      expect((await call('POST', '/api/posts', alice, { content: 'text only' })).statusCode).toBe(201);
    } finally {
      images.failWith(null);
    }
  });
});
