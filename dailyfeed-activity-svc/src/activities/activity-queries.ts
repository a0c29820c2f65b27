/** The two lists of api.md §7: keyset pages over (occurredAt, id), newest first. */
import { TimeCursor, decodeCursorOrThrow, pageFromRows, pageSize, type Page } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import type { Activity } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { Db } from '../db/pool.ts';
import { listBannerActivities, listMemberActivities, type ActivityRow, type KeysetPage } from '../db/activity-repository.ts';
import type { FollowingsSource } from '../members/followings-source.ts';
import { toActivity } from './activity-mapper.ts';

export interface PageRequest {
  size?: number;
  cursor?: string;
}

function keyset(request: PageRequest): { size: number; page: KeysetPage } {
  const size = pageSize(request.size);
  const after = request.cursor ? decodeCursorOrThrow(request.cursor, TimeCursor) : undefined;
  if (after && Number.isNaN(Date.parse(after.t))) decodeCursorOrThrow('!', TimeCursor); // a forged time: 400
  return { size, page: { limit: size + 1, ...(after ? { after } : {}) } };
}

const cursorOf = (row: ActivityRow) => ({ t: row.occurred_at.toISOString(), id: String(row.id) });

export async function myActivities(db: Db, memberId: string, request: PageRequest): Promise<Page<Activity>> {
  const { size, page } = keyset(request);
  return pageFromRows(await listMemberActivities(db, memberId, page), size, toActivity, cursorOf);
}

export async function followingsActivities(db: Db, followings: FollowingsSource, memberId: string, request: PageRequest): Promise<Page<Activity>> {
  const { size, page } = keyset(request); // a bad cursor is a 400 before any call to member-svc
  const ids = await followings.followingIds(memberId);
  return pageFromRows(await listBannerActivities(db, ids, page), size, toActivity, cursorOf);
}
