/**
 * Post use cases: every write and its events commit together, then the relay is nudged.
 * The author of every answer is the caller (only the author may edit), whose Summary the
 * authentication resolved: no member-svc call per write.
 */
import type pg from 'pg';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import type { Post, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { inTransaction } from '../db/pool.ts';
import * as posts from '../db/posts-repo.ts';
import type { ContentEvents } from '../events/content-events.ts';
import type { ImageAttachments } from './image-attachments.ts';
import { toPost } from './post-mapper.ts';

export interface PostInput {
  title?: string | null;
  content: string;
  imageIds?: string[];
}

export class PostService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly events: ContentEvents,
    private readonly images: ImageAttachments,
    private readonly afterCommit: () => void,
  ) {}

  async create(caller: Summary, input: PostInput): Promise<Post> {
    const imageIds = [...new Set(input.imageIds ?? [])];
    const row = await this.images.withAttachments(caller.id, (attach) =>
      inTransaction(this.pool, async (tx) => {
        const created = await posts.insertPost(tx, { authorId: caller.id, title: input.title ?? null, content: input.content, imageIds });
        // Inside the transaction: an image check that fails leaves no post behind (and a
        // transaction that fails after it detaches the images again: withAttachments).
        await attach(imageIds, created.id);
        await this.events.store(tx, [this.events.event('POST_CREATE', caller.id, { postId: created.id })]);
        return created;
      }),
    );
    this.afterCommit();
    return toPost(row, caller, false);
  }

  async update(caller: Summary, postId: string, input: Partial<PostInput>): Promise<Post> {
    let removedImages: string[] = [];
    const row = await this.images.withAttachments(caller.id, (attach) =>
      inTransaction(this.pool, async (tx) => {
        const current = await posts.lockPostOrThrow(tx, postId);
        if (current.author_id !== caller.id) throw new AppError(403, ErrorCode.POST_UPDATE_FORBIDDEN, 'only the author may edit this post');
        const imageIds = input.imageIds === undefined ? current.image_ids : [...new Set(input.imageIds)];
        // Only the new images are attached (and detached again if this write fails): the kept
        // ones stay attached to this post whatever happens.
        await attach(imageIds.filter((id) => !current.image_ids.includes(id)), postId);
        removedImages = current.image_ids.filter((id) => !imageIds.includes(id));
        const updated = await posts.updatePost(tx, postId, {
          title: input.title === undefined ? current.title : input.title,
          content: input.content ?? current.content,
          imageIds,
        });
        await this.events.store(tx, [this.events.event('POST_UPDATE', caller.id, { postId })]);
        return updated;
      }),
    );
    this.afterCommit();
    // After the commit only: a failed edit keeps every image it had.
    await this.images.detach(caller.id, removedImages);
    return toPost(row, caller, await posts.isPostLikedBy(this.pool, postId, caller.id));
  }

  async delete(caller: Summary, postId: string): Promise<void> {
    const imageIds = await inTransaction(this.pool, async (tx) => {
      const current = await posts.lockPostOrThrow(tx, postId);
      if (current.author_id !== caller.id) throw new AppError(403, ErrorCode.POST_DELETE_FORBIDDEN, 'only the author may delete this post');
      await posts.softDeletePost(tx, postId);
      await this.events.store(tx, [this.events.event('POST_DELETE', caller.id, { postId })]);
      return current.image_ids;
    });
    this.afterCommit();
    await this.images.detach(caller.id, imageIds);
  }

  async like(caller: Summary, postId: string): Promise<{ postId: string; likeCount: number; liked: true }> {
    const likeCount = await inTransaction(this.pool, async (tx) => {
      // No post lock up front: the insert is exact on its own (primary key), and the counter
      // update takes the row lock only for the rest of this short transaction. The event is
      // stored after that lock, so one post's events enter the outbox in commit order.
      await posts.getPostOrThrow(tx, postId);
      const count = await posts.insertPostLike(tx, postId, caller.id);
      if (count === null) throw new AppError(409, ErrorCode.POST_LIKE_ALREADY_EXISTS, 'you already like this post');
      await this.events.store(tx, [this.events.event('LIKE_POST', caller.id, { postId })]);
      return count;
    });
    this.afterCommit();
    return { postId, likeCount, liked: true };
  }

  async unlike(caller: Summary, postId: string): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await posts.getPostOrThrow(tx, postId);
      if (!(await posts.deletePostLike(tx, postId, caller.id))) {
        throw new AppError(404, ErrorCode.POST_LIKE_NOT_FOUND, 'you do not like this post');
      }
      await this.events.store(tx, [this.events.event('LIKE_POST_CANCEL', caller.id, { postId })]);
    });
    this.afterCommit();
  }
}
