/** Follows: codes of api.md, the 1000 limit, exact counts under concurrency, pages, outbox events, internal routes. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers, runId } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { bearer, member, testApp, type TestMember } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);

describe.skipIf(missing)('follows', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => {
    await app?.close();
  });
  const follow = (m: TestMember, id: string) => app.inject({ method: 'POST', url: `/api/members/follow/${id}`, headers: bearer(m.accessToken) });
  const unfollow = (m: TestMember, id: string) => app.inject({ method: 'DELETE', url: `/api/members/follow/${id}`, headers: bearer(m.accessToken) });
  const profile = async (m: TestMember, id: string) => (await app.inject({ method: 'GET', url: `/api/members/${id}/profile`, headers: bearer(m.accessToken) })).json().data;

  it('follow 201, again 409, self 400, unknown 404; unfollow 204, again 404; counts and `following` follow along', async () => {
    const a = await member(app);
    const b = await member(app);
    const res = await follow(a, b.id);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 201, result: 'SUCCESS' });
    expect((await follow(a, b.id)).json()).toMatchObject({ status: 409, code: 'FOLLOW_ALREADY_EXISTS' });
    expect((await follow(a, a.id)).json()).toMatchObject({ status: 400, code: 'CANNOT_FOLLOW_SELF' });
    expect((await follow(a, '999999999997')).json()).toMatchObject({ status: 404, code: 'MEMBER_NOT_FOUND' });
    expect((await follow(a, 'abc')).statusCode).toBe(400);
    expect(await profile(a, b.id)).toMatchObject({ followersCount: 1, followingsCount: 0, following: true });
    expect(await profile(b, a.id)).toMatchObject({ followersCount: 0, followingsCount: 1, following: false });
    const gone = await unfollow(a, b.id);
    expect(gone.statusCode).toBe(204);
    expect(gone.body).toBe('');
    expect((await unfollow(a, b.id)).json()).toMatchObject({ status: 404, code: 'FOLLOW_NOT_FOUND' });
    expect(await profile(a, b.id)).toMatchObject({ followersCount: 0, following: false });
  });

  it('a deactivated member cannot be followed (404)', async () => {
    const a = await member(app);
    const b = await member(app);
    await app.inject({ method: 'DELETE', url: '/api/authentication/deactivate', headers: bearer(b.accessToken) });
    expect((await follow(a, b.id)).json().code).toBe('MEMBER_NOT_FOUND');
  });

  it('422 FOLLOW_LIMIT_EXCEEDED past 1000 followings (1000 seeded with SQL)', async () => {
    const a = await member(app);
    const target = await member(app);
    const tag = runId();
    await app.member.pool.query(
      `WITH created AS (
         INSERT INTO members (email, handle, password_hash, member_name, display_name)
         SELECT 'seed_' || $2 || '_' || g || '@example.com', 's' || $2 || g, 'x', 'Seed', 'Seed' FROM generate_series(1, 1000) g
         RETURNING id)
       INSERT INTO follows (follower_id, followee_id) SELECT $1, id FROM created`,
      [a.id, tag],
    );
    await app.member.pool.query(`UPDATE members SET followings_count = 1000 WHERE id = $1`, [a.id]);
    await app.member.pool.query(`UPDATE members SET followers_count = 1 WHERE id IN (SELECT followee_id FROM follows WHERE follower_id = $1)`, [a.id]);
    const res = await follow(a, target.id);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('FOLLOW_LIMIT_EXCEEDED');
    const ids = await app.inject({ method: 'GET', url: `/internal/members/${a.id}/followings/ids` });
    expect(ids.json().data.ids).toHaveLength(1000);
    const page = await app.inject({ method: 'GET', url: `/internal/members/${a.id}/followings?size=5000` });
    expect(page.json().data).toMatchObject({ size: 1000, hasNext: false, nextCursor: null });
    // unfollowing one makes room again
    const someone = ids.json().data.ids[0];
    expect((await unfollow(a, someone)).statusCode).toBe(204);
    expect((await follow(a, target.id)).statusCode).toBe(201);
    expect((await follow(a, someone)).statusCode).toBe(422);
  });

  it('counts stay exact under concurrent follows and unfollows', async () => {
    const target = await member(app);
    const fans = await Promise.all(Array.from({ length: 12 }, () => member(app)));
    // everyone follows the target and each other pairwise-adjacent, concurrently (A->B and B->A races too)
    await Promise.all([
      ...fans.map((f) => follow(f, target.id)),
      ...fans.map((f, i) => follow(f, fans[(i + 1) % fans.length]!.id)),
      ...fans.map((f, i) => follow(fans[(i + 1) % fans.length]!, f.id)),
      ...fans.map((f) => follow(f, target.id)), // duplicates: 409s
    ]);
    await Promise.all([...fans.slice(0, 5).map((f) => unfollow(f, target.id)), ...fans.slice(0, 5).map((f) => unfollow(f, target.id))]);
    const { rows } = await app.member.pool.query(
      `SELECT m.id, m.followers_count, m.followings_count,
              (SELECT count(*)::int FROM follows WHERE followee_id = m.id) AS followers,
              (SELECT count(*)::int FROM follows WHERE follower_id = m.id) AS followings
         FROM members m WHERE m.id = ANY($1::bigint[])`,
      [[target.id, ...fans.map((f) => f.id)]],
    );
    for (const row of rows) {
      expect(row.followers_count).toBe(row.followers);
      expect(row.followings_count).toBe(row.followings);
    }
    expect(rows.find((r) => r.id === target.id)!.followers_count).toBe(7);
  });

  it('follower and following pages: Summaries, newest follow first, cursor pages without repeats', async () => {
    const star = await member(app);
    const fans: TestMember[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await member(app);
      expect((await follow(f, star.id)).statusCode).toBe(201);
      fans.push(f);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/members/${star.id}/followers?size=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { content: Array<{ id: string }>; nextCursor: string | null } = (await app.inject({ method: 'GET', url, headers: bearer(star.accessToken) })).json().data;
      expect(page.content.length).toBeLessThanOrEqual(2);
      seen.push(...page.content.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(fans.map((f) => f.id).reverse());
    const followings = (await app.inject({ method: 'GET', url: `/api/members/${fans[0]!.id}/followings`, headers: bearer(star.accessToken) })).json().data;
    expect(followings).toMatchObject({ size: 1, hasNext: false, nextCursor: null, content: [{ id: star.id, handle: star.handle }] });
    const bad = await app.inject({ method: 'GET', url: `/api/members/${star.id}/followers?cursor=garbage`, headers: bearer(star.accessToken) });
    expect(bad.json()).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
    expect((await app.inject({ method: 'GET', url: `/api/members/${star.id}/followers?size=-1`, headers: bearer(star.accessToken) })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/members/${star.id}/followers?size=abc`, headers: bearer(star.accessToken) })).statusCode).toBe(400);
    const clamped = (await app.inject({ method: 'GET', url: `/api/members/${star.id}/followers?size=1000`, headers: bearer(star.accessToken) })).json().data;
    expect(clamped.size).toBe(5);
    const ids = (await app.inject({ method: 'GET', url: `/internal/members/${star.id}/followers?size=3` })).json().data;
    expect(ids).toMatchObject({ content: fans.slice(2).map((f) => f.id).reverse(), hasNext: true });
  });

  it('newbie recommendations: newest members, without the caller and those already followed', async () => {
    const me = await member(app);
    const older = await member(app);
    const newer = await member(app);
    await follow(me, older.id);
    const page = (await app.inject({ method: 'GET', url: '/api/members/follow/recommend/newbie?size=50', headers: bearer(me.accessToken) })).json().data;
    const ids = page.content.map((s: { id: string }) => s.id);
    expect(ids).toContain(newer.id);
    expect(ids).not.toContain(me.id);
    expect(ids).not.toContain(older.id);
  });

  it('MEMBER_FOLLOW and MEMBER_UNFOLLOW are written to the outbox in the same transaction', async () => {
    const a = await member(app);
    const b = await member(app);
    await follow(a, b.id);
    await unfollow(a, b.id);
    const { rows } = await app.member.pool.query(
      `SELECT event_type, record_key, payload FROM outbox_events WHERE payload->>'memberId' = $1 ORDER BY id`,
      [a.id],
    );
    expect(rows.map((r) => r.event_type)).toEqual(['MEMBER_FOLLOW', 'MEMBER_UNFOLLOW']);
    expect(rows[0].record_key).toBe(`member:${a.id}`);
    expect(rows[0].payload).toMatchObject({ version: 1, type: 'MEMBER_FOLLOW', memberId: a.id, targetMemberId: b.id, postId: null, commentId: null });
    expect(rows[0].payload.messageKey).toMatch(new RegExp(`^member_activity:kafka_event:MEMBER_FOLLOW###${b.id}###${a.id}###\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{9}$`));
    // a failed follow (409) writes nothing
    await follow(a, b.id);
    await follow(a, b.id);
    const after = await app.member.pool.query(`SELECT count(*)::int AS n FROM outbox_events WHERE payload->>'memberId' = $1`, [a.id]);
    expect(after.rows[0].n).toBe(3);
  });
});

describe.skipIf(missing)('avatar through image-svc', () => {
  let app: ServiceApp;
  let server: http.Server;
  const calls: Array<{ path: string; body: unknown }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw || '{}');
        calls.push({ path: req.url ?? '', body });
        res.writeHead(body.imageIds?.[0] === '666' ? 403 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body.imageIds?.[0] === '666'
          ? { status: 403, result: 'FAIL', code: 'IMAGE_FORBIDDEN', message: 'not yours', path: req.url, requestId: 'x' }
          : { status: 200, result: 'SUCCESS', data: {} }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    app = await testApp({ IMAGE_SVC_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  afterAll(async () => {
    await app?.close();
    server?.close();
  });

  it('attaches the new avatar, deletes the previous one; an image that is not the caller\'s is refused', async () => {
    const m = await member(app);
    const put = (avatarImageId: string | null) => app.inject({ method: 'PUT', url: '/api/members/profile', headers: bearer(m.accessToken), payload: { avatarImageId } });
    expect((await put('101')).statusCode).toBe(200);
    expect((await put('102')).json().data.avatarUrl).toBe('/api/images/view/102?variant=thumbnail');
    expect(calls).toEqual([
      { path: '/internal/images/attach', body: { ownerId: m.id, imageIds: ['101'], purpose: 'profile' } },
      { path: '/internal/images/attach', body: { ownerId: m.id, imageIds: ['102'], purpose: 'profile' } },
      { path: '/internal/images/delete', body: { ownerId: m.id, imageIds: ['101'] } },
    ]);
    const refused = await put('666');
    expect(refused.statusCode).toBe(422);
    expect((await app.inject({ method: 'GET', url: '/api/members/profile', headers: bearer(m.accessToken) })).json().data.avatarImageId).toBe('102');
    expect((await put(null)).json().data.avatarUrl).toBeNull();
    expect(calls.at(-1)).toEqual({ path: '/internal/images/delete', body: { ownerId: m.id, imageIds: ['102'] } });
  });
});
