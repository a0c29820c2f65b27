/** Post and comment reads (api.md §4) over content's tables, hydrated in batches. */
import type { Comment, Post } from '../../dailyfeed-shared/src/contracts/api.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import type { Page } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import { notFound } from '../../dailyfeed-shared/src/http/errors.ts';
import type { CommentRow, ContentRepo, PostRow } from '../db/content-repo.ts';
import { encodePosition, type Position } from '../feed/entries.ts';
import type { Hydrator } from './hydrator.ts';
import type { ReadEvents } from './read-events.ts';

const positionOfRow = (row: { id: string; created_at: Date }): Position => ({ ms: row.created_at.getTime(), id: BigInt(row.id) });

async function pageOf<R extends { id: string; created_at: Date }, T>(rows: R[], size: number, map: (rows: R[]) => Promise<T[]>): Promise<Page<T>> {
  const hasNext = rows.length > size;
  const kept = rows.slice(0, size);
  const last = kept[kept.length - 1];
  const content = await map(kept);
  return { content, size: content.length, hasNext, nextCursor: hasNext && last ? encodePosition(positionOfRow(last)) : null };
}

export class ReadService {
  readonly #content: ContentRepo;
  readonly #hydrator: Hydrator;
  readonly #events: ReadEvents;

  constructor(content: ContentRepo, hydrator: Hydrator, events: ReadEvents) {
    this.#content = content;
    this.#hydrator = hydrator;
    this.#events = events;
  }

  /** Post detail: one view counted (and POST_READ published) when the viewer is not the author. */
  async getPostOrThrow(postId: string, viewerId: string): Promise<Post> {
    const row = await this.#content.postById(postId, viewerId);
    if (!row) throw notFound(ErrorCode.POST_NOT_FOUND, 'post not found');
    if (row.author_id !== viewerId) {
      row.view_count = await this.#content.countView(postId);
      this.#events.postRead(viewerId, postId);
    }
    return (await this.#hydrator.posts([row]))[0] as Post;
  }

  async statisticsOrThrow(postId: string): Promise<{ viewCount: number; likeCount: number; commentCount: number }> {
    const row = await this.#content.postById(postId, '0');
    if (!row) throw notFound(ErrorCode.POST_NOT_FOUND, 'post not found');
    return { viewCount: Number(row.view_count), likeCount: row.like_count, commentCount: row.comment_count };
  }

  postsOfAuthor(authorId: string, before: Position | null, size: number, viewerId: string): Promise<Page<Post>> {
    return this.#content.postsByAuthor(authorId, before, size + 1, viewerId).then((rows) => pageOf<PostRow, Post>(rows, size, (kept) => this.#hydrator.posts(kept)));
  }

  async commentsOfPostOrThrow(postId: string, after: Position | null, size: number, viewerId: string): Promise<Page<Comment>> {
    if (!(await this.#content.postExists(postId))) throw notFound(ErrorCode.POST_NOT_FOUND, 'post not found');
    const rows = await this.#content.commentsOldestFirst({ postId }, after, size + 1, viewerId);
    return pageOf<CommentRow, Comment>(rows, size, (kept) => this.#hydrator.comments(kept));
  }

  async repliesOrThrow(commentId: string, after: Position | null, size: number, viewerId: string): Promise<Page<Comment>> {
    if (!(await this.#content.commentExists(commentId))) throw notFound(ErrorCode.COMMENT_NOT_FOUND, 'comment not found');
    const rows = await this.#content.commentsOldestFirst({ parentId: commentId }, after, size + 1, viewerId);
    return pageOf<CommentRow, Comment>(rows, size, (kept) => this.#hydrator.comments(kept));
  }

  async getCommentOrThrow(commentId: string, viewerId: string): Promise<Comment> {
    const row = await this.#content.commentById(commentId, viewerId);
    if (!row) throw notFound(ErrorCode.COMMENT_NOT_FOUND, 'comment not found');
    if (row.author_id !== viewerId) this.#events.commentRead(viewerId, commentId, row.post_id);
    return (await this.#hydrator.comments([row]))[0] as Comment;
  }

  commentsOfAuthor(authorId: string, before: Position | null, size: number, viewerId: string): Promise<Page<Comment>> {
    return this.#content.commentsByAuthor(authorId, before, size + 1, viewerId).then((rows) => pageOf<CommentRow, Comment>(rows, size, (kept) => this.#hydrator.comments(kept)));
  }
}
