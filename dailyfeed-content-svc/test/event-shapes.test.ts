// Every write stores its events (events.md) in the outbox, in the write's own transaction:
// types, ids, record keys and messageKeys; a failed write stores none. Concurrency of counters.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { startTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'kafka']);
const STAMP = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{9}';

describe.skipIf(missing)('events of every write, and counters under concurrency', () => {
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let db: pg.Client;
  let newMember: () => ReturnType<typeof ctx.newMember>;
  const memberIds: string[] = [];
  beforeAll(async () => {
    // Relay off: the rows stay in the outbox to be looked at (publishing is events.test.ts's).
    ctx = await startTestApp({ CONTENT_RELAY_ENABLED: 'false' });
    newMember = () => {
      const member = ctx.newMember();
      memberIds.push(member.id);
      return member;
    };
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    // Not for any topic: leave no unpublished rows for another suite's relay.
    await db.query(`DELETE FROM content.outbox_events WHERE published_at IS NULL AND payload->>'memberId' = ANY($1)`, [memberIds]);
    await db.end();
    await ctx.close();
  });

  const call = (method: string, url: string, who: { auth: Record<string, string> }, payload?: object) =>
    ctx.app.inject({ method: method as 'GET', url, headers: who.auth, ...(payload ? { payload } : {}) });
  const eventsOf = async (memberId: string) =>
    (await db.query(`SELECT record_key, event_type, payload FROM content.outbox_events WHERE payload->>'memberId' = $1 ORDER BY id`, [memberId])).rows as Array<{
      record_key: string;
      event_type: string;
      payload: Record<string, unknown>;
    }>;

  it('stores one event per write with the events.md fields, keys and messageKeys', async () => {
    const alice = newMember();
    const post = (await call('POST', '/api/posts', alice, { content: 'evented' })).json().data;
    await call('PUT', `/api/posts/${post.id}`, alice, { content: 'edited' });
    await call('POST', `/api/posts/${post.id}/like`, alice);
    await call('DELETE', `/api/posts/${post.id}/like`, alice);
    const comment = (await call('POST', '/api/comments', alice, { postId: post.id, content: 'c' })).json().data;
    const reply = (await call('POST', '/api/comments/replies', alice, { postId: post.id, parentId: comment.id, content: 'r' })).json().data;
    await call('PUT', `/api/comments/${comment.id}`, alice, { content: 'c2' });
    await call('POST', `/api/comments/${reply.id}/like`, alice);
    await call('DELETE', `/api/comments/${reply.id}/like`, alice);
    await call('DELETE', `/api/comments/${comment.id}`, alice);
    await call('DELETE', `/api/posts/${post.id}`, alice);
    // Failed writes store nothing.
    await call('POST', `/api/posts/${post.id}/like`, alice);
    await call('PUT', `/api/comments/${reply.id}`, alice, { content: 'gone' });

    const rows = await eventsOf(alice.id);
    const P = post.id;
    const C = comment.id;
    const R = reply.id;
    const M = alice.id;
    const expected: Array<[string, string, string | null, RegExp]> = [
      ['POST_CREATE', `post:${P}`, null, new RegExp(`^member_activity:kafka_event:POST_CREATE###${P}###${M}$`)],
      ['POST_UPDATE', `post:${P}`, null, new RegExp(`^member_activity:kafka_event:POST_UPDATE###${P}###${M}###${STAMP}$`)],
      ['LIKE_POST', `post:${P}`, null, new RegExp(`^member_activity:kafka_event:LIKE_POST###${P}###${M}$`)],
      ['LIKE_POST_CANCEL', `post:${P}`, null, new RegExp(`^member_activity:kafka_event:LIKE_POST_CANCEL###${P}###${M}$`)],
      ['COMMENT_CREATE', `comment:${C}`, C, new RegExp(`^member_activity:kafka_event:COMMENT_CREATE###${C}###${M}$`)],
      ['COMMENT_CREATE', `comment:${R}`, R, new RegExp(`^member_activity:kafka_event:COMMENT_CREATE###${R}###${M}$`)],
      ['COMMENT_UPDATE', `comment:${C}`, C, new RegExp(`^member_activity:kafka_event:COMMENT_UPDATE###${C}###${M}###${STAMP}$`)],
      ['LIKE_COMMENT', `comment:${R}`, R, new RegExp(`^member_activity:kafka_event:LIKE_COMMENT###${R}###${M}$`)],
      ['LIKE_COMMENT_CANCEL', `comment:${R}`, R, new RegExp(`^member_activity:kafka_event:LIKE_COMMENT_CANCEL###${R}###${M}$`)],
      ['COMMENT_DELETE', `comment:${C}`, C, new RegExp(`^member_activity:kafka_event:COMMENT_DELETE###${C}###${M}###${STAMP}$`)],
      ['COMMENT_DELETE', `comment:${R}`, R, new RegExp(`^member_activity:kafka_event:COMMENT_DELETE###${R}###${M}###${STAMP}$`)],
      ['POST_DELETE', `post:${P}`, null, new RegExp(`^member_activity:kafka_event:POST_DELETE###${P}###${M}###${STAMP}$`)],
    ];
    expect(rows.map((row) => row.event_type)).toEqual(expected.map(([type]) => type));
    rows.forEach((row, i) => {
      const [type, key, commentId, messageKey] = expected[i]!;
      expect(row.record_key).toBe(key);
      expect(row.payload).toMatchObject({ version: 1, type, memberId: M, postId: P, commentId, targetMemberId: null });
      expect(row.payload.messageKey).toMatch(messageKey);
      expect(row.payload.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.payload.occurredAt).toMatch(/Z$/);
    });
    expect(new Set(rows.map((row) => row.payload.eventId)).size).toBe(rows.length);
  });

  it('counters stay exact with many members liking, commenting and replying at once', async () => {
    const author = newMember();
    const members = Array.from({ length: 40 }, () => newMember());
    const post = (await call('POST', '/api/posts', author, { content: 'popular' })).json().data;
    const root = (await call('POST', '/api/comments', author, { postId: post.id, content: 'root' })).json().data;
    const results = await Promise.all(
      members.flatMap((member) => [
        call('POST', `/api/posts/${post.id}/like`, member),
        call('POST', `/api/comments/${root.id}/like`, member),
        call('POST', '/api/comments/replies', member, { postId: post.id, parentId: root.id, content: 'me too' }),
        call('POST', '/api/comments', member, { postId: post.id, content: 'top' }),
      ]),
    );
    expect(results.filter((res) => res.statusCode !== 201).map((res) => res.body)).toEqual([]);
    const counts = async () =>
      (
        await db.query(
          `SELECT p.like_count, p.comment_count, c.like_count AS root_likes, c.reply_count AS root_replies
             FROM content.posts p JOIN content.comments c ON c.id = $2 WHERE p.id = $1`,
          [post.id, root.id],
        )
      ).rows[0];
    expect(await counts()).toEqual({ like_count: 40, comment_count: 81, root_likes: 40, root_replies: 40 });

    // Unlikes in parallel with a subtree delete racing more replies: counts equal the live rows.
    const more = await Promise.all([
      ...members.slice(0, 20).map((member) => call('DELETE', `/api/posts/${post.id}/like`, member)),
      ...members.slice(20, 30).map((member) => call('POST', '/api/comments/replies', member, { postId: post.id, parentId: root.id, content: 'late' })),
      call('DELETE', `/api/comments/${root.id}`, author),
    ]);
    expect(more.every((res) => [201, 204, 404].includes(res.statusCode))).toBe(true);
    const live = (
      await db.query(
        `SELECT (SELECT count(*)::int FROM content.comments WHERE post_id = $1 AND deleted_at IS NULL) AS comments,
                (SELECT count(*)::int FROM content.post_likes WHERE post_id = $1) AS likes,
                (SELECT count(*)::int FROM content.comments c JOIN content.comments parent ON parent.id = c.parent_id
                  WHERE c.post_id = $1 AND c.deleted_at IS NULL AND parent.deleted_at IS NOT NULL) AS orphans`,
        [post.id],
      )
    ).rows[0];
    const after = await counts();
    expect(after.like_count).toBe(20);
    expect(live.likes).toBe(20);
    expect(after.comment_count).toBe(live.comments);
    expect(live.comments).toBe(40); // the 40 top-level comments; the root and every reply are gone
    expect(live.orphans).toBe(0);
    const deletes = (await db.query(`SELECT count(*)::int AS n FROM content.outbox_events WHERE event_type = 'COMMENT_DELETE' AND payload->>'postId' = $1`, [post.id])).rows[0].n;
    const replies = (await db.query(`SELECT count(*)::int AS n FROM content.comments WHERE parent_id = $1`, [root.id])).rows[0].n;
    expect(deletes).toBe(replies + 1);
  });

  it('exposes the outbox backlog and its oldest age in /metrics', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    // This app's relay is off and its writes above are still pending: both gauges are positive.
    const backlog = Number(/^outbox_backlog(?:\{[^}]*\})? (\S+)$/m.exec(res.body)?.[1]);
    const age = Number(/^outbox_oldest_unpublished_age_seconds(?:\{[^}]*\})? (\S+)$/m.exec(res.body)?.[1]);
    expect(backlog).toBeGreaterThan(0);
    expect(age).toBeGreaterThan(0);
  });
});
