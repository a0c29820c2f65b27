/** Comment rows to the api.md Comment shape. */
import type { Comment, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { CommentRow } from '../db/comments-repo.ts';

export function toComment(row: CommentRow, author: Summary, liked: boolean): Comment {
  return {
    id: row.id,
    postId: row.post_id,
    parentId: row.parent_id,
    depth: row.depth,
    content: row.content,
    author,
    likeCount: row.like_count,
    replyCount: row.reply_count,
    liked,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
