/**
 * What timeline-svc does with each event (consumer group `timeline-svc`).
 *
 * Out-of-order safety: no handler applies a delta carried by the event. Each one reconciles
 * Redis with the current truth in PostgreSQL (the post row, the follow row, the counters), so
 * any order of delivery, a duplicate or a replay converges on the same state. A POST_DELETE
 * also leaves a tombstone here, so a late POST_CREATE (other day's topic, a replay) never
 * fans a deleted post out again, even if content's row were not visible yet.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ActivityEvent } from '../../dailyfeed-shared/src/events/index.ts';
import type { ContentRepo } from '../db/content-repo.ts';
import type { Queryable } from '../db/pool.ts';
import type { FeedStore } from '../feed/feed-store.ts';
import type { FollowingsReader } from '../members/followings.ts';
import type { RankingService } from '../ranking/ranking-service.ts';
import type { Hydrator } from '../reads/hydrator.ts';
import type { PulledPosts } from '../feed/pulled-posts.ts';
import type { FeedPageMemo } from '../feed/page-memo.ts';
import type { LikedReader } from '../reads/liked.ts';

export interface HandlerDeps {
  db: Queryable;
  content: ContentRepo;
  store: FeedStore;
  followings: FollowingsReader;
  rankings: RankingService;
  liked: LikedReader;
  hydrator: Hydrator;
  pulled: PulledPosts;
  /** Memoised feed pages: dropped with the caches they were built from. */
  memo?: FeedPageMemo<unknown> | null;
  log: FastifyBaseLogger;
  /** Called after a post was fanned out (metrics, tests). */
  onFanOut?: (info: { postId: string; followers: number; written: number; ms: number }) => void;
}

export class PostNotVisibleError extends Error {
  constructor(postId: string) {
    super(`post ${postId} is not visible in content.posts yet`);
    this.name = 'PostNotVisibleError';
  }
}

export function createEventHandler(d: HandlerDeps): (event: ActivityEvent) => Promise<void> {
  const tombstoned = async (postId: string) =>
    (await d.db.query('SELECT 1 FROM timeline.post_tombstones WHERE post_id = $1', [postId])).rows.length > 0;

  async function postCreated(event: ActivityEvent): Promise<void> {
    const postId = event.postId as string;
    if (await tombstoned(postId)) return;
    const meta = await d.content.postMeta(postId);
    if (!meta) throw new PostNotVisibleError(postId); // dead letter, retried with backoff
    if (meta.deleted) return postDeleted({ ...event, memberId: meta.author_id });
    const started = performance.now();
    const targets = await d.followings.fanOutTargets(meta.author_id);
    if (targets.pulled) {
      d.pulled.evictAuthor(meta.author_id); // this replica shows it at once
      d.memo?.clear();
    }
    const entry = { postId, authorId: meta.author_id, createdMs: meta.created_at.getTime() };
    const written = targets.followerIds.length > 0 ? await d.store.fanOut(targets.followerIds, entry) : 0;
    d.onFanOut?.({ postId, followers: targets.followerIds.length, written, ms: performance.now() - started });
    await d.rankings.refreshPost(postId);
  }

  async function postDeleted(event: ActivityEvent): Promise<void> {
    const postId = event.postId as string;
    const meta = await d.content.postMeta(postId);
    const authorId = meta?.author_id ?? event.memberId;
    d.hydrator.evictPost(postId);
    d.pulled.evictAuthor(authorId);
    d.memo?.clear();
    await d.db.query(
      `INSERT INTO timeline.post_tombstones (post_id, author_id, deleted_at) VALUES ($1, $2, $3) ON CONFLICT (post_id) DO NOTHING`,
      [postId, authorId, event.occurredAt],
    );
    await d.rankings.removePost(postId, authorId);
    await d.store.removePost(await d.followings.followerIds(authorId), { postId, authorId });
  }

  async function followChanged(event: ActivityEvent): Promise<void> {
    const readerId = event.memberId;
    const authorId = event.targetMemberId as string;
    await d.followings.evict(readerId);
    d.memo?.dropReader(readerId);
    if (await d.followings.follows(readerId, authorId)) {
      const entries = await d.content.entriesByAuthors([authorId], null, d.store.cap);
      await d.store.addAuthorPosts(readerId, entries, entries.length < d.store.cap);
    } else {
      await d.store.removeAuthor(readerId, authorId);
    }
  }

  async function rankingChanged(event: ActivityEvent): Promise<void> {
    const postId = event.postId ?? (event.commentId ? await d.content.postIdOfComment(event.commentId) : null);
    if (!postId) return;
    if (await tombstoned(postId)) return;
    await d.rankings.refreshPost(postId);
  }

  return async (event) => {
    switch (event.type) {
      case 'POST_CREATE':
        return postCreated(event);
      case 'POST_DELETE':
        return postDeleted(event);
      case 'MEMBER_FOLLOW':
      case 'MEMBER_UNFOLLOW':
        return followChanged(event);
      case 'LIKE_POST':
      case 'LIKE_POST_CANCEL':
        await d.liked.reconcile(event.memberId, event.postId as string);
        return rankingChanged(event);
      case 'POST_READ':
      case 'COMMENT_CREATE':
      case 'COMMENT_DELETE':
        return rankingChanged(event);
      default:
        return; // POST_UPDATE, COMMENT_UPDATE/READ, LIKE_COMMENT*: read from content at read time
    }
  };
}
