/** Post rows to the api.md Post shape. viewCount is timeline-svc's: a write answers 0 views. */
import type { Post, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { PostRow } from '../db/posts-repo.ts';

export const imageUrl = (imageId: string) => `/api/images/view/${imageId}?variant=medium`;

export function toPost(row: PostRow, author: Summary, liked: boolean): Post {
  return {
    id: row.id,
    title: row.title,
    content: row.content,
    author,
    imageIds: row.image_ids,
    imageUrls: row.image_ids.map(imageUrl),
    viewCount: 0,
    likeCount: row.like_count,
    commentCount: row.comment_count,
    liked,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
