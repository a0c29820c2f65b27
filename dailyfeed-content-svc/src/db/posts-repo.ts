/** Posts and post likes. A deleted post (deleted_at set) is "not found" everywhere. */
import type pg from 'pg';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import type { Tx } from './pool.ts';

export interface PostRow {
  id: string;
  author_id: string;
  title: string | null;
  content: string;
  image_ids: string[];
  like_count: number;
  comment_count: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id::text, author_id::text, title, content, image_ids::text[] AS image_ids, like_count, comment_count, created_at, updated_at';
const notFound = (postId: string) => new AppError(404, ErrorCode.POST_NOT_FOUND, `post ${postId} not found`);

export async function insertPost(tx: Tx, post: { authorId: string; title: string | null; content: string; imageIds: string[] }): Promise<PostRow> {
  const result = await tx.query<PostRow>(
    `INSERT INTO posts (author_id, title, content, image_ids) VALUES ($1, $2, $3, $4::bigint[]) RETURNING ${COLUMNS}`,
    [post.authorId, post.title, post.content, post.imageIds],
  );
  return result.rows[0]!;
}

/** Locks the live post for the rest of the transaction. */
export async function lockPostOrThrow(tx: Tx, postId: string): Promise<PostRow> {
  const result = await tx.query<PostRow>(`SELECT ${COLUMNS} FROM posts WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, [postId]);
  const row = result.rows[0];
  if (!row) throw notFound(postId);
  return row;
}

export async function updatePost(tx: Tx, postId: string, changes: { title: string | null; content: string; imageIds: string[] }): Promise<PostRow> {
  const result = await tx.query<PostRow>(
    `UPDATE posts SET title = $2, content = $3, image_ids = $4::bigint[], updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    [postId, changes.title, changes.content, changes.imageIds],
  );
  return result.rows[0]!;
}

export async function softDeletePost(tx: Tx, postId: string): Promise<void> {
  await tx.query('UPDATE posts SET deleted_at = now() WHERE id = $1', [postId]);
}

/** Adds the comments to the live post's count; throws when the post is missing or deleted. */
export async function addToCommentCountOrThrow(tx: Tx, postId: string, delta: number): Promise<void> {
  const result = await tx.query('UPDATE posts SET comment_count = comment_count + $2 WHERE id = $1 AND deleted_at IS NULL', [postId, delta]);
  if (result.rowCount === 0) throw notFound(postId);
}

/** Locks the post row only (no columns): serializes every change to one post's comment tree. */
export async function lockPostRowOrThrow(tx: Tx, postId: string): Promise<void> {
  const result = await tx.query('SELECT 1 FROM posts WHERE id = $1 AND deleted_at IS NULL FOR UPDATE', [postId]);
  if (result.rowCount === 0) throw notFound(postId);
}

/**
 * The new like count when this call created the like, null when the member already liked it.
 * The count moves only with an inserted row, so duplicates are harmless; the increment
 * re-checks the post after waiting for its row lock, so a like racing a delete is a 404.
 */
export async function insertPostLike(tx: Tx, postId: string, memberId: string): Promise<number | null> {
  const inserted = await tx.query('INSERT INTO post_likes (post_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [postId, memberId]);
  if (inserted.rowCount === 0) return null;
  return moveLikeCountOrThrow(tx, postId, 1);
}

/** false when the member did not like the post. */
export async function deletePostLike(tx: Tx, postId: string, memberId: string): Promise<boolean> {
  const deleted = await tx.query('DELETE FROM post_likes WHERE post_id = $1 AND member_id = $2', [postId, memberId]);
  if (deleted.rowCount === 0) return false;
  await moveLikeCountOrThrow(tx, postId, -1);
  return true;
}

async function moveLikeCountOrThrow(tx: Tx, postId: string, delta: number): Promise<number> {
  const result = await tx.query<{ like_count: number }>(
    'UPDATE posts SET like_count = like_count + $2 WHERE id = $1 AND deleted_at IS NULL RETURNING like_count',
    [postId, delta],
  );
  const row = result.rows[0];
  if (!row) throw notFound(postId);
  return row.like_count;
}

export async function isPostLikedBy(db: pg.Pool | Tx, postId: string, memberId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM post_likes WHERE post_id = $1 AND member_id = $2', [postId, memberId]);
  return (result.rowCount ?? 0) > 0;
}

export async function getPostOrThrow(db: pg.Pool | Tx, postId: string): Promise<PostRow> {
  const result = await db.query<PostRow>(`SELECT ${COLUMNS} FROM posts WHERE id = $1 AND deleted_at IS NULL`, [postId]);
  const row = result.rows[0];
  if (!row) throw notFound(postId);
  return row;
}
