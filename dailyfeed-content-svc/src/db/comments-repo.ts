/** Comments, replies and comment likes. A deleted comment (deleted_at set) is "not found". */
import type pg from 'pg';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import type { Tx } from './pool.ts';

export interface CommentRow {
  id: string;
  post_id: string;
  parent_id: string | null;
  depth: number;
  author_id: string;
  content: string;
  like_count: number;
  reply_count: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id::text, post_id::text, parent_id::text, depth, author_id::text, content, like_count, reply_count, created_at, updated_at';
/** The same columns of `comments c` in a join with its post. */
const JOINED_COLUMNS = COLUMNS.replace(/(^|, )/g, '$1c.');
const notFound = (commentId: string) => new AppError(404, ErrorCode.COMMENT_NOT_FOUND, `comment ${commentId} not found`);

export async function insertComment(tx: Tx, comment: { postId: string; parentId: string | null; depth: number; authorId: string; content: string }): Promise<CommentRow> {
  const result = await tx.query<CommentRow>(
    `INSERT INTO comments (post_id, parent_id, depth, author_id, content) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [comment.postId, comment.parentId, comment.depth, comment.authorId, comment.content],
  );
  return result.rows[0]!;
}

/** The live comment of a live post, locked for the rest of the transaction. */
export async function lockCommentOrThrow(tx: Tx, commentId: string): Promise<CommentRow> {
  const result = await tx.query<CommentRow>(
    `SELECT ${JOINED_COLUMNS} FROM comments c JOIN posts p ON p.id = c.post_id
      WHERE c.id = $1 AND c.deleted_at IS NULL AND p.deleted_at IS NULL FOR UPDATE OF c`,
    [commentId],
  );
  const row = result.rows[0];
  if (!row) throw notFound(commentId);
  return row;
}

export async function getCommentOrThrow(db: pg.Pool | Tx, commentId: string): Promise<CommentRow> {
  const result = await db.query<CommentRow>(
    `SELECT ${JOINED_COLUMNS} FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = $1 AND c.deleted_at IS NULL AND p.deleted_at IS NULL`,
    [commentId],
  );
  const row = result.rows[0];
  if (!row) throw notFound(commentId);
  return row;
}

export async function addToReplyCount(tx: Tx, commentId: string, delta: number): Promise<void> {
  await tx.query('UPDATE comments SET reply_count = reply_count + $2 WHERE id = $1 AND deleted_at IS NULL', [commentId, delta]);
}

export async function updateCommentContent(tx: Tx, commentId: string, content: string): Promise<CommentRow> {
  const result = await tx.query<CommentRow>(`UPDATE comments SET content = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [commentId, content]);
  return result.rows[0]!;
}

/** Soft-deletes the comment and every live reply below it; returns the deleted ids, root first. */
export async function softDeleteSubtree(tx: Tx, commentId: string): Promise<string[]> {
  const result = await tx.query<{ id: string }>(
    `WITH RECURSIVE subtree AS (
       SELECT id, 0 AS level FROM comments WHERE id = $1 AND deleted_at IS NULL
       UNION ALL
       SELECT c.id, s.level + 1 FROM comments c JOIN subtree s ON c.parent_id = s.id WHERE c.deleted_at IS NULL
     ), deleted AS (
       UPDATE comments SET deleted_at = now() WHERE id IN (SELECT id FROM subtree) RETURNING id
     )
     SELECT s.id::text AS id FROM subtree s JOIN deleted d ON d.id = s.id ORDER BY s.level, s.id`,
    [commentId],
  );
  return result.rows.map((row) => row.id);
}

/** The new like count when this call created the like, null when it existed (see insertPostLike). */
export async function insertCommentLike(tx: Tx, commentId: string, memberId: string): Promise<number | null> {
  const inserted = await tx.query('INSERT INTO comment_likes (comment_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [commentId, memberId]);
  if (inserted.rowCount === 0) return null;
  return moveLikeCountOrThrow(tx, commentId, 1);
}

export async function deleteCommentLike(tx: Tx, commentId: string, memberId: string): Promise<boolean> {
  const deleted = await tx.query('DELETE FROM comment_likes WHERE comment_id = $1 AND member_id = $2', [commentId, memberId]);
  if (deleted.rowCount === 0) return false;
  await moveLikeCountOrThrow(tx, commentId, -1);
  return true;
}

/** Re-checks the comment after waiting for its row lock: a like racing a subtree delete is a 404. */
async function moveLikeCountOrThrow(tx: Tx, commentId: string, delta: number): Promise<number> {
  const result = await tx.query<{ like_count: number }>(
    'UPDATE comments SET like_count = like_count + $2 WHERE id = $1 AND deleted_at IS NULL RETURNING like_count',
    [commentId, delta],
  );
  const row = result.rows[0];
  if (!row) throw notFound(commentId);
  return row.like_count;
}

export async function isCommentLikedBy(db: pg.Pool | Tx, commentId: string, memberId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM comment_likes WHERE comment_id = $1 AND member_id = $2', [commentId, memberId]);
  return (result.rowCount ?? 0) > 0;
}
