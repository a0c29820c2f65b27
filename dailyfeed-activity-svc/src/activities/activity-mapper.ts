import type { Activity } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { ActivityRow } from '../db/activity-repository.ts';

/** Row -> api.md §7 `Activity`; createdAt is the time of the occurrence. */
export const toActivity = (row: ActivityRow): Activity => ({
  id: String(row.id),
  memberId: String(row.member_id),
  type: row.type,
  postId: row.post_id === null ? null : String(row.post_id),
  commentId: row.comment_id === null ? null : String(row.comment_id),
  targetMemberId: row.target_member_id === null ? null : String(row.target_member_id),
  createdAt: row.occurred_at.toISOString(),
});
