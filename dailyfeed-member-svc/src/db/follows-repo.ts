/** Data access of `follows` (and the counters on `members`, updated in the same transaction). */
import { MEMBER_COLUMNS, type MemberRow } from '../members/member-mapper.ts';
import type { Queryable } from './pool.ts';

export interface LockedPair {
  follower: { id: string; followings_count: number; active: boolean } | undefined;
  followee: { id: string; active: boolean } | undefined;
}

/** Locks both member rows in id order (no deadlock when A follows B while B follows A). */
export async function lockPair(db: Queryable, followerId: string, followeeId: string): Promise<LockedPair> {
  const { rows } = await db.query<{ id: string; followings_count: number; deactivated_at: Date | null }>(
    `SELECT id, followings_count, deactivated_at FROM members WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
    [[followerId, followeeId]],
  );
  const find = (id: string) => rows.find((row) => row.id === id);
  const follower = find(followerId);
  const followee = find(followeeId);
  return {
    follower: follower && { id: follower.id, followings_count: follower.followings_count, active: follower.deactivated_at === null },
    followee: followee && { id: followee.id, active: followee.deactivated_at === null },
  };
}

export async function insertFollow(db: Queryable, followerId: string, followeeId: string): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT (follower_id, followee_id) DO NOTHING`,
    [followerId, followeeId],
  );
  return (result.rowCount ?? 0) > 0;
}

export async function deleteFollow(db: Queryable, followerId: string, followeeId: string): Promise<boolean> {
  const result = await db.query(`DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2`, [followerId, followeeId]);
  return (result.rowCount ?? 0) > 0;
}

export async function adjustCounts(db: Queryable, followerId: string, followeeId: string, delta: 1 | -1): Promise<void> {
  await db.query(`UPDATE members SET followings_count = followings_count + $2 WHERE id = $1`, [followerId, delta]);
  await db.query(`UPDATE members SET followers_count = followers_count + $2 WHERE id = $1`, [followeeId, delta]);
}

export interface FollowCursor {
  t: string;
  id: string;
}

export type FollowDirection = 'followers' | 'followings';

/** One page (size + 1 rows) of a member's followers or followings, newest follow first. */
export async function followPage(
  db: Queryable,
  memberId: string,
  direction: FollowDirection,
  size: number,
  cursor: FollowCursor | undefined,
): Promise<Array<{ member_id: string; follow_id: string; followed_at: Date }>> {
  const [own, other] = direction === 'followers' ? ['followee_id', 'follower_id'] : ['follower_id', 'followee_id'];
  const { rows } = await db.query<{ member_id: string; follow_id: string; followed_at: Date }>(
    `SELECT f.${other} AS member_id, f.id AS follow_id, f.created_at AS followed_at
       FROM follows f
      WHERE f.${own} = $1
        AND ($2::timestamptz IS NULL OR (f.created_at, f.id) < ($2::timestamptz, $3::bigint))
      ORDER BY f.created_at DESC, f.id DESC
      LIMIT $4`,
    [memberId, cursor?.t ?? null, cursor?.id ?? null, size + 1],
  );
  return rows;
}

export async function allFollowingIds(db: Queryable, memberId: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT followee_id AS id FROM follows WHERE follower_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [memberId, limit],
  );
  return rows.map((row) => row.id);
}

/** Newest active members the caller does not follow yet (and not the caller). */
export async function newbiePage(db: Queryable, callerId: string, size: number, cursor: FollowCursor | undefined): Promise<MemberRow[]> {
  const { rows } = await db.query<MemberRow>(
    `SELECT ${MEMBER_COLUMNS} FROM members m
      WHERE m.id <> $1 AND m.deactivated_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = m.id)
        AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2::timestamptz, $3::bigint))
      ORDER BY m.created_at DESC, m.id DESC
      LIMIT $4`,
    [callerId, cursor?.t ?? null, cursor?.id ?? null, size + 1],
  );
  return rows;
}
