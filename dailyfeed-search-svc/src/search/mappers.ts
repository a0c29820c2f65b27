/** Rows -> api.md shapes (one mapper per aggregate). */
import type { Comment, Post, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { CommentRow, PostRow } from '../db/content-reader.ts';
import { placeholderSummary } from '../db/member-reader.ts';

export const imageUrlOf = (imageId: string): string => `/api/images/view/${imageId}?variant=medium`;

export function postOf(row: PostRow, authors: Map<string, Summary>): Post {
  const imageIds = (row.image_ids ?? []).map(String);
  return {
    id: row.id,
    title: row.title,
    content: row.content,
    author: authors.get(row.author_id) ?? placeholderSummary(row.author_id),
    imageIds,
    imageUrls: imageIds.map(imageUrlOf),
    viewCount: Number(row.view_count),
    likeCount: row.like_count,
    commentCount: row.comment_count,
    liked: row.liked,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function commentOf(row: CommentRow, authors: Map<string, Summary>): Comment {
  return {
    id: row.id,
    postId: row.post_id,
    parentId: row.parent_id,
    depth: row.depth,
    content: row.content,
    author: authors.get(row.author_id) ?? placeholderSummary(row.author_id),
    likeCount: row.like_count,
    replyCount: row.reply_count,
    liked: row.liked,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
