/** api.md §7 through the app as production builds it, with a real HTTP stand-in for member-svc. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { buildApp } from '../src/app.ts';
import { upsertActivity } from '../src/db/activity-repository.ts';
import { event, memberBase, testConfig } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);

describe.skipIf(missing)('activity API', () => {
  let app: ServiceApp;
  let member: FakeMemberService;
  const base = memberBase();
  const me = String(base + 1);
  const alice = String(base + 2);
  const bob = String(base + 3);
  const stranger = String(base + 4);
  let token: string;
  const t0 = Date.parse('2026-11-20T00:00:00.000Z');

  beforeAll(async () => {
    member = await startFakeMemberService();
    member.route('GET', `/internal/members/${me}/followings/ids`, () => ({ status: 200, data: { ids: [alice, bob] } }));
    app = await buildApp(testConfig({ MEMBER_SVC_URL: member.url, ACTIVITY_CONSUMER_ENABLED: 'false' }), { logger: false });
    token = member.tokenFor({ id: me });
    const db = app.activity.db;
    // 25 of my own (reads included), and a mix of the followings' and a stranger's.
    for (let i = 0; i < 25; i++) {
      await upsertActivity(db, event({ type: i % 5 === 0 ? 'POST_READ' : 'POST_CREATE', memberId: me, postId: base + 100 + i, now: new Date(t0 + i * 1000) }));
    }
    await upsertActivity(db, event({ type: 'POST_CREATE', memberId: alice, postId: base + 200, now: new Date(t0 + 1_000) }));
    await upsertActivity(db, event({ type: 'POST_READ', memberId: alice, postId: base + 201, now: new Date(t0 + 2_000) }));
    await upsertActivity(db, event({ type: 'COMMENT_READ', memberId: bob, commentId: base + 300, now: new Date(t0 + 3_000) }));
    await upsertActivity(db, event({ type: 'MEMBER_FOLLOW', memberId: bob, targetMemberId: me, now: new Date(t0 + 4_000) }));
    await upsertActivity(db, event({ type: 'LIKE_POST', memberId: bob, postId: base + 200, now: new Date(t0 + 5_000) }));
    await upsertActivity(db, event({ type: 'POST_CREATE', memberId: stranger, postId: base + 400, now: new Date(t0 + 6_000) }));
  });
  afterAll(async () => {
    await app?.close();
    await member?.close();
  });

  const get = (url: string, auth = token) => app.inject({ method: 'GET', url, headers: auth ? { authorization: `Bearer ${auth}` } : {} });

  it('pages my activities newest first without skipping or repeating', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`/api/member-activities/me?size=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ status: 200, result: 'SUCCESS' });
      for (const item of body.data.content) seen.push(item.createdAt);
      cursor = body.data.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(new Set(seen).size).toBe(25);
  });

  it('answers the Activity shape', async () => {
    const body = (await get('/api/member-activities/me?size=1')).json();
    expect(body.data.content[0]).toEqual({
      id: expect.stringMatching(/^[0-9]+$/),
      memberId: me,
      type: 'POST_CREATE',
      postId: String(base + 124),
      commentId: null,
      targetMemberId: null,
      createdAt: new Date(t0 + 24_000).toISOString(),
    });
    expect(body.data).toMatchObject({ size: 1, hasNext: true });
  });

  it('shows my followings\' activities without READ events, newest first', async () => {
    const body = (await get('/api/member-activities/followings')).json();
    expect(body.data.content.map((a: { type: string; memberId: string }) => [a.type, a.memberId])).toEqual([
      ['LIKE_POST', bob],
      ['MEMBER_FOLLOW', bob],
      ['POST_CREATE', alice],
    ]);
    expect(body.data.hasNext).toBe(false);
  });

  it('rejects a bad cursor with 400, a bad size with 400, no token with 401', async () => {
    expect((await get('/api/member-activities/me?cursor=garbage')).json()).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
    const forged = Buffer.from(JSON.stringify({ t: 'yesterday', id: '1' })).toString('base64url');
    expect((await get(`/api/member-activities/followings?cursor=${forged}`)).statusCode).toBe(400);
    expect((await get('/api/member-activities/me?size=-1')).statusCode).toBe(400);
    expect((await get('/api/member-activities/me?size=1000')).json().data.size).toBe(25);
    const anonymous = await get('/api/member-activities/me', '');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['x-relogin-required']).toBe('true');
  });

  it('answers 503 when member-svc cannot list the followings', async () => {
    const other = member.tokenFor({ id: stranger });
    const response = await get('/api/member-activities/followings', other); // the fake has no route for them: 404
    expect(response.json()).toMatchObject({ status: 503, code: 'MEMBER_SERVICE_UNAVAILABLE' });
  });
});
