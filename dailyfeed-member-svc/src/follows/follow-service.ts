/**
 * Follow / unfollow with exact counters: both member rows are locked (id order), the follow row
 * and both counters change in one transaction, and the MEMBER_FOLLOW / MEMBER_UNFOLLOW event is
 * written to the outbox in that same transaction (never lost, never published for a rollback).
 */
import type pg from 'pg';
import type { Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { TimeCursor, decodeCursorOrThrow, pageFromRows, type Page } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import { AppError, badRequest, conflict, notFound, unprocessable } from '../../dailyfeed-shared/src/http/errors.ts';
import { createActivityEvent } from '../../dailyfeed-shared/src/events/event-types.ts';
import { adjustCounts, deleteFollow, followPage, insertFollow, lockPair, newbiePage, type FollowDirection } from '../db/follows-repo.ts';
import { findMemberById } from '../db/members-repo.ts';
import { enqueueEvents } from '../../dailyfeed-shared/src/events/outbox/outbox.ts';
import { inTransaction } from '../db/pool.ts';
import { summaryOf, summaryOfRecord } from '../members/member-mapper.ts';
import type { AuthState } from '../tokens/auth-state.ts';

export interface FollowServiceDeps {
  pool: pg.Pool;
  state: AuthState;
  followLimit: number;
  topicTimeZone: string;
  /** Called after a commit that wrote outbox rows (the relay publishes at once). */
  onEventsCommitted?: () => void;
}

const OWN_SCHEMA = 'member';

export class FollowService {
  constructor(private readonly d: FollowServiceDeps) {}

  async follow(followerId: string, followeeId: string): Promise<void> {
    if (followerId === followeeId) throw badRequest(ErrorCode.CANNOT_FOLLOW_SELF, 'you cannot follow yourself');
    await inTransaction(this.d.pool, async (tx) => {
      const { follower, followee } = await lockPair(tx, followerId, followeeId);
      if (!followee || !followee.active) throw notFound(ErrorCode.MEMBER_NOT_FOUND, 'member not found');
      if (!follower || !follower.active) throw notFound(ErrorCode.MEMBER_NOT_FOUND, 'member not found');
      if (!(await insertFollow(tx, followerId, followeeId))) throw conflict(ErrorCode.FOLLOW_ALREADY_EXISTS, 'you already follow this member');
      if (follower.followings_count >= this.d.followLimit) {
        throw unprocessable(ErrorCode.FOLLOW_LIMIT_EXCEEDED, `you can follow at most ${this.d.followLimit} members`);
      }
      await adjustCounts(tx, followerId, followeeId, 1);
      await enqueueEvents(tx, OWN_SCHEMA, [createActivityEvent({ type: 'MEMBER_FOLLOW', memberId: followerId, targetMemberId: followeeId, timeZone: this.d.topicTimeZone })]);
    });
    this.d.onEventsCommitted?.();
  }

  async unfollow(followerId: string, followeeId: string): Promise<void> {
    await inTransaction(this.d.pool, async (tx) => {
      await lockPair(tx, followerId, followeeId);
      if (!(await deleteFollow(tx, followerId, followeeId))) throw notFound(ErrorCode.FOLLOW_NOT_FOUND, 'you do not follow this member');
      await adjustCounts(tx, followerId, followeeId, -1);
      await enqueueEvents(tx, OWN_SCHEMA, [createActivityEvent({ type: 'MEMBER_UNFOLLOW', memberId: followerId, targetMemberId: followeeId, timeZone: this.d.topicTimeZone })]);
    });
    this.d.onEventsCommitted?.();
  }

  /** Followers or followings as Summaries, newest follow first. */
  async page(memberId: string, direction: FollowDirection, size: number, cursor: string | undefined): Promise<Page<Summary>> {
    await this.requireMember(memberId);
    const rows = await followPage(this.d.pool, memberId, direction, size, cursor ? decodeCursorOrThrow(cursor, TimeCursor) : undefined);
    const records = await this.d.state.records(rows.slice(0, size).map((row) => row.member_id));
    return pageFromRows(
      rows,
      size,
      (row) => {
        const record = records.get(row.member_id);
        return record ? summaryOfRecord(record) : { id: row.member_id, handle: 'deleted', displayName: 'deleted', avatarUrl: null, verified: false };
      },
      (row) => ({ t: row.followed_at.toISOString(), id: row.follow_id }),
    );
  }

  /** Ids only, for other services (size up to 1000). */
  async idPage(memberId: string, direction: FollowDirection, size: number, cursor: string | undefined): Promise<Page<string>> {
    const rows = await followPage(this.d.pool, memberId, direction, size, cursor ? decodeCursorOrThrow(cursor, TimeCursor) : undefined);
    return pageFromRows(rows, size, (row) => row.member_id, (row) => ({ t: row.followed_at.toISOString(), id: row.follow_id }));
  }

  async newbies(callerId: string, size: number, cursor: string | undefined): Promise<Page<Summary>> {
    const rows = await newbiePage(this.d.pool, callerId, size, cursor ? decodeCursorOrThrow(cursor, TimeCursor) : undefined);
    return pageFromRows(rows, size, summaryOf, (row) => ({ t: row.created_at.toISOString(), id: row.id }));
  }

  private async requireMember(memberId: string): Promise<void> {
    const row = await findMemberById(this.d.pool, memberId);
    if (!row) throw new AppError(404, ErrorCode.MEMBER_NOT_FOUND, 'member not found');
  }
}
