/**
 * Comment use cases. Depth 0 comments, replies up to depth 2; counters (the post's
 * comments and replies, a comment's direct replies) move in the write's transaction.
 * Deleting a comment deletes its whole reply subtree, one COMMENT_DELETE each.
 */
import type pg from 'pg';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import type { Comment, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { inTransaction } from '../db/pool.ts';
import * as comments from '../db/comments-repo.ts';
import * as posts from '../db/posts-repo.ts';
import type { ContentEvents } from '../events/content-events.ts';
import { toComment } from './comment-mapper.ts';

export const MAX_DEPTH = 2;

export class CommentService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly events: ContentEvents,
    private readonly afterCommit: () => void,
  ) {}

  async create(caller: Summary, postId: string, content: string): Promise<Comment> {
    const row = await inTransaction(this.pool, async (tx) => {
      await posts.addToCommentCountOrThrow(tx, postId, 1);
      const created = await comments.insertComment(tx, { postId, parentId: null, depth: 0, authorId: caller.id, content });
      await this.events.store(tx, [this.events.event('COMMENT_CREATE', caller.id, { postId, commentId: created.id })]);
      return created;
    });
    this.afterCommit();
    return toComment(row, caller, false);
  }

  async reply(caller: Summary, postId: string, parentId: string, content: string): Promise<Comment> {
    const row = await inTransaction(this.pool, async (tx) => {
      // Post row first, then the comment (as in delete): one post's tree changes one at a time,
      // so a subtree delete never misses a reply committed while it ran.
      await posts.addToCommentCountOrThrow(tx, postId, 1);
      const parent = await comments.lockCommentOrThrow(tx, parentId);
      if (parent.post_id !== postId) {
        throw new AppError(400, ErrorCode.PARENT_COMMENT_POST_MISMATCH, `comment ${parentId} belongs to another post`);
      }
      if (parent.depth >= MAX_DEPTH) {
        throw new AppError(422, ErrorCode.COMMENT_DEPTH_LIMIT_EXCEEDED, `replies go at most ${MAX_DEPTH} levels deep`);
      }
      await comments.addToReplyCount(tx, parentId, 1);
      const created = await comments.insertComment(tx, { postId, parentId, depth: parent.depth + 1, authorId: caller.id, content });
      await this.events.store(tx, [this.events.event('COMMENT_CREATE', caller.id, { postId, commentId: created.id })]);
      return created;
    });
    this.afterCommit();
    return toComment(row, caller, false);
  }

  async update(caller: Summary, commentId: string, content: string): Promise<Comment> {
    const row = await inTransaction(this.pool, async (tx) => {
      const current = await comments.lockCommentOrThrow(tx, commentId);
      if (current.author_id !== caller.id) throw new AppError(403, ErrorCode.COMMENT_UPDATE_FORBIDDEN, 'only the author may edit this comment');
      const updated = await comments.updateCommentContent(tx, commentId, content);
      await this.events.store(tx, [this.events.event('COMMENT_UPDATE', caller.id, { postId: current.post_id, commentId })]);
      return updated;
    });
    this.afterCommit();
    return toComment(row, caller, await comments.isCommentLikedBy(this.pool, commentId, caller.id));
  }

  /** Returns the ids deleted (the comment and its replies). */
  async delete(caller: Summary, commentId: string): Promise<string[]> {
    const deleted = await inTransaction(this.pool, async (tx) => {
      // Lock the post row before the comment (the order reply uses), then read the comment again.
      await posts.lockPostRowOrThrow(tx, (await comments.getCommentOrThrow(tx, commentId)).post_id);
      const current = await comments.lockCommentOrThrow(tx, commentId);
      if (current.author_id !== caller.id) throw new AppError(403, ErrorCode.COMMENT_DELETE_FORBIDDEN, 'only the author may delete this comment');
      const ids = await comments.softDeleteSubtree(tx, commentId);
      await posts.addToCommentCountOrThrow(tx, current.post_id, -ids.length);
      if (current.parent_id) await comments.addToReplyCount(tx, current.parent_id, -1);
      await this.events.store(
        tx,
        ids.map((id) => this.events.event('COMMENT_DELETE', caller.id, { postId: current.post_id, commentId: id })),
      );
      return ids;
    });
    this.afterCommit();
    return deleted;
  }

  async like(caller: Summary, commentId: string): Promise<{ commentId: string; likeCount: number; liked: true }> {
    const likeCount = await inTransaction(this.pool, async (tx) => {
      const current = await comments.getCommentOrThrow(tx, commentId);
      const count = await comments.insertCommentLike(tx, commentId, caller.id);
      if (count === null) throw new AppError(409, ErrorCode.COMMENT_LIKE_ALREADY_EXISTS, 'you already like this comment');
      await this.events.store(tx, [this.events.event('LIKE_COMMENT', caller.id, { postId: current.post_id, commentId })]);
      return count;
    });
    this.afterCommit();
    return { commentId, likeCount, liked: true };
  }

  async unlike(caller: Summary, commentId: string): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      const current = await comments.getCommentOrThrow(tx, commentId);
      if (!(await comments.deleteCommentLike(tx, commentId, caller.id))) {
        throw new AppError(404, ErrorCode.COMMENT_LIKE_NOT_FOUND, 'you do not like this comment');
      }
      await this.events.store(tx, [this.events.event('LIKE_COMMENT_CANCEL', caller.id, { postId: current.post_id, commentId })]);
    });
    this.afterCommit();
  }
}
