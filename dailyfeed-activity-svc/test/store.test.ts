/** The log's upsert by messageKey: the guarantee behind "a duplicate never shows twice". */
import { afterAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { createPool } from '../src/db/pool.ts';
import { upsertActivity } from '../src/db/activity-repository.ts';
import { event, memberBase } from './helpers.ts';

const missing = await missingServers(['postgres']);

describe.skipIf(missing)('member_activities upsert', () => {
  const db = createPool(process.env.DATABASE_URL ?? '', 2);
  afterAll(() => db.end());
  const base = memberBase();
  const rowsOf = async (key: string) =>
    (await db.query<{ event_id: string; occurred_at: Date }>('SELECT event_id, occurred_at FROM activity.member_activities WHERE message_key = $1', [key])).rows;

  it('stores a duplicate once', async () => {
    const e = event({ type: 'POST_CREATE', memberId: base + 1, postId: base + 10 });
    expect(await upsertActivity(db, e)).toBe('inserted');
    expect(await upsertActivity(db, e)).toBe('unchanged');
    expect(await rowsOf(e.messageKey)).toHaveLength(1);
  });

  it('moves a like to a genuine later like, and never back to an older one', async () => {
    const first = event({ type: 'LIKE_POST', memberId: base + 1, postId: base + 11, now: new Date('2026-11-27T14:59:59.900Z') });
    const cancel = event({ type: 'LIKE_POST_CANCEL', memberId: base + 1, postId: base + 11, now: new Date('2026-11-27T14:59:59.950Z') });
    const second = event({ type: 'LIKE_POST', memberId: base + 1, postId: base + 11, now: new Date('2026-11-27T15:00:00.100Z') });
    expect(first.messageKey).toBe(second.messageKey);
    // Across midnight (Asia/Seoul) the two days' topics are read independently: newest first.
    expect(await upsertActivity(db, second)).toBe('inserted');
    expect(await upsertActivity(db, cancel)).toBe('inserted');
    expect(await upsertActivity(db, first)).toBe('unchanged'); // older: never overwrites
    expect(await upsertActivity(db, second)).toBe('unchanged'); // duplicate
    expect(await rowsOf(second.messageKey)).toEqual([{ event_id: second.eventId, occurred_at: new Date(second.occurredAt) }]);
    const third = event({ type: 'LIKE_POST', memberId: base + 1, postId: base + 11, now: new Date('2026-11-27T15:00:01.000Z') });
    expect(await upsertActivity(db, third)).toBe('moved');
    expect((await rowsOf(third.messageKey))[0]?.event_id).toBe(third.eventId);
  });
});
