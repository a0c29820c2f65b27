/**
 * `activity.member_activities`: one row per messageKey (events.md).
 *
 * The upsert keeps the LATEST occurrence of a key: a row moves only to a strictly newer
 * (occurredAt, eventId). So a redelivered duplicate (same eventId) changes nothing, an older
 * record arriving late (across midnight the days' topics are read independently) never
 * overwrites a newer one, and a genuine second like after an unlike (new eventId, later
 * occurredAt) moves the like's row to the newer time. eventIds are UUID v7 (time-ordered),
 * which breaks a tie of two occurrences within one millisecond deterministically.
 */
import type { ActivityEvent } from '../../dailyfeed-shared/src/events/index.ts';
import type { Db } from './pool.ts';

export interface ActivityRow {
  id: string;
  member_id: string;
  type: string;
  post_id: string | null;
  comment_id: string | null;
  target_member_id: string | null;
  occurred_at: Date;
}

export type UpsertOutcome = 'inserted' | 'moved' | 'unchanged';

export async function upsertActivity(db: Db, event: ActivityEvent): Promise<UpsertOutcome> {
  const { rows } = await db.query<{ inserted: boolean }>(
    `INSERT INTO activity.member_activities
       (message_key, event_id, member_id, type, post_id, comment_id, target_member_id, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (message_key) DO UPDATE
        SET event_id = EXCLUDED.event_id, occurred_at = EXCLUDED.occurred_at, recorded_at = now()
      WHERE (EXCLUDED.occurred_at, EXCLUDED.event_id) > (member_activities.occurred_at, member_activities.event_id)
     RETURNING (xmax = 0) AS inserted`,
    [event.messageKey, event.eventId, event.memberId, event.type, event.postId, event.commentId, event.targetMemberId, event.occurredAt],
  );
  const row = rows[0];
  return row === undefined ? 'unchanged' : row.inserted ? 'inserted' : 'moved';
}

export interface KeysetPage {
  /** The last row of the previous page (occurredAt ISO, id). */
  after?: { t: string; id: string };
  /** size + 1 rows are fetched: the extra one only says there is a next page. */
  limit: number;
}

const COLUMNS = 'id, member_id, type, post_id, comment_id, target_member_id, occurred_at';

/** One member's activities, newest first. */
export async function listMemberActivities(db: Db, memberId: string, page: KeysetPage): Promise<ActivityRow[]> {
  const { rows } = await db.query<ActivityRow>(
    `SELECT ${COLUMNS} FROM activity.member_activities
      WHERE member_id = $1 AND ($2::timestamptz IS NULL OR (occurred_at, id) < ($2::timestamptz, $3::bigint))
      ORDER BY occurred_at DESC, id DESC LIMIT $4`,
    [memberId, page.after?.t ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}

/** Several members' activities without READ events (the followings banner), newest first. */
export async function listBannerActivities(db: Db, memberIds: readonly string[], page: KeysetPage): Promise<ActivityRow[]> {
  if (memberIds.length === 0) return [];
  // The predicate repeats the partial index's (member_activities_banner_idx) so it is used.
  const { rows } = await db.query<ActivityRow>(
    `SELECT ${COLUMNS} FROM activity.member_activities
      WHERE member_id = ANY($1::bigint[]) AND type NOT IN ('POST_READ', 'COMMENT_READ')
        AND ($2::timestamptz IS NULL OR (occurred_at, id) < ($2::timestamptz, $3::bigint))
      ORDER BY occurred_at DESC, id DESC LIMIT $4`,
    [memberIds, page.after?.t ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}
