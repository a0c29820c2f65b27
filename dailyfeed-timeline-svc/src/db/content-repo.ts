/**
 * Read-only SQL over content-svc's tables (`content.posts`, `content.comments`,
 * `content.post_likes`, `content.comment_likes`) joined with this service's view counts.
 * One round trip per page: rows, view counts and the caller's `liked` come back together.
 * Column names follow content-svc's prisma/schema.prisma (mapped read-only in ours).
 */
import type { Queryable } from './pool.ts';
import type { FeedEntry, Position } from '../feed/entries.ts';

export interface PostRow {
  id: string;
  author_id: string;
  title: string | null;
  content: string;
  image_ids: string[] | null;
  like_count: number;
  comment_count: number;
  view_count: string;
  liked: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface CommentRow {
  id: string;
  post_id: string;
  parent_id: string | null;
  depth: number;
  author_id: string;
  content: string;
  like_count: number;
  reply_count: number;
  liked: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface PostMeta {
  id: string;
  author_id: string;
  created_at: Date;
  deleted: boolean;
  like_count: number;
  comment_count: number;
  view_count: string;
}

// The selected columns of a Post, `$1` being the viewer (for `liked`).
const POST_COLUMNS = `p.id::text AS id, p.author_id::text AS author_id, p.title, p.content,
  COALESCE(p.image_ids::text[], '{}') AS image_ids, p.like_count, p.comment_count,
  COALESCE(v.view_count, 0)::text AS view_count,
  EXISTS (SELECT 1 FROM content.post_likes l WHERE l.post_id = p.id AND l.member_id = $1) AS liked,
  p.created_at, p.updated_at`;
const POST_FROM = `content.posts p LEFT JOIN timeline.post_views v ON v.post_id = p.id`;

const COMMENT_COLUMNS = `c.id::text AS id, c.post_id::text AS post_id, c.parent_id::text AS parent_id, c.depth,
  c.author_id::text AS author_id, c.content, c.like_count, c.reply_count,
  EXISTS (SELECT 1 FROM content.comment_likes l WHERE l.comment_id = c.id AND l.member_id = $1) AS liked,
  c.created_at, c.updated_at`;

const ts = (position: Position) => new Date(position.ms).toISOString();

export class ContentRepo {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Live posts by id (deleted ones left out), in no particular order. */
  async postsByIds(ids: readonly string[], viewerId: string): Promise<PostRow[]> {
    if (ids.length === 0) return [];
    // Named: planned once per connection (the hottest statement of the service).
    const { rows } = await this.#db.query<PostRow>({
      name: 'tl_posts_by_ids',
      text: `SELECT ${POST_COLUMNS} FROM ${POST_FROM} WHERE p.id = ANY($2::bigint[]) AND p.deleted_at IS NULL`,
      values: [viewerId, ids],
    });
    return rows;
  }

  async postById(id: string, viewerId: string): Promise<PostRow | null> {
    return (await this.postsByIds([id], viewerId))[0] ?? null;
  }

  /** One author's live posts, newest first, strictly after `before`. */
  async postsByAuthor(authorId: string, before: Position | null, limit: number, viewerId: string): Promise<PostRow[]> {
    const { rows } = await this.#db.query<PostRow>(
      `SELECT ${POST_COLUMNS} FROM ${POST_FROM}
        WHERE p.author_id = $2 AND p.deleted_at IS NULL
          AND ($3::timestamptz IS NULL OR (p.created_at, p.id) < ($3::timestamptz, $4::bigint))
        ORDER BY p.created_at DESC, p.id DESC LIMIT $5`,
      [viewerId, authorId, before ? ts(before) : null, before ? before.id.toString() : null, limit],
    );
    return rows;
  }

  /**
   * Feed entries (id, author, time) of several authors, newest first, strictly after `before`:
   * a LATERAL top-N per author over the (author_id, created_at, id) index, so the cost grows
   * with authors x limit, never with the authors' whole history.
   */
  async entriesByAuthors(authorIds: readonly string[], before: Position | null, limit: number): Promise<FeedEntry[]> {
    if (authorIds.length === 0 || limit <= 0) return [];
    const { rows } = await this.#db.query<{ id: string; author_id: string; ms: string }>(
      `SELECT p.id::text AS id, a.id::text AS author_id, (extract(epoch FROM p.created_at) * 1000)::bigint::text AS ms
         FROM unnest($1::bigint[]) AS a(id)
         CROSS JOIN LATERAL (
           SELECT id, created_at FROM content.posts
            WHERE author_id = a.id AND deleted_at IS NULL
              AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::bigint))
            ORDER BY created_at DESC, id DESC LIMIT $4) p
        ORDER BY p.created_at DESC, p.id DESC LIMIT $4`,
      [authorIds, before ? ts(before) : null, before ? before.id.toString() : null, limit],
    );
    return rows.map((r) => ({ postId: r.id, authorId: r.author_id, createdMs: Number(r.ms) }));
  }

  /** The newest `perAuthor` entries of each author (newest first within each author). */
  async entriesPerAuthor(authorIds: readonly string[], perAuthor: number): Promise<FeedEntry[]> {
    if (authorIds.length === 0) return [];
    const { rows } = await this.#db.query<{ id: string; author_id: string; ms: string }>(
      `SELECT p.id::text AS id, a.id::text AS author_id, (extract(epoch FROM p.created_at) * 1000)::bigint::text AS ms
         FROM unnest($1::bigint[]) AS a(id)
         CROSS JOIN LATERAL (
           SELECT id, created_at FROM content.posts
            WHERE author_id = a.id AND deleted_at IS NULL
            ORDER BY created_at DESC, id DESC LIMIT $2) p
        ORDER BY a.id, p.created_at DESC, p.id DESC`,
      [authorIds, perAuthor],
    );
    return rows.map((r) => ({ postId: r.id, authorId: r.author_id, createdMs: Number(r.ms) }));
  }

  /**
   * The original's follow feed, kept for the benchmark (`?impl=naive`): the followings list,
   * then one `author_id IN (...) ORDER BY created_at` query over all their posts.
   */
  async naiveFeed(followingIds: readonly string[], before: Position | null, limit: number, viewerId: string): Promise<PostRow[]> {
    if (followingIds.length === 0) return [];
    const list = followingIds.map((id) => BigInt(id).toString()).join(',');
    const { rows } = await this.#db.query<PostRow>(
      `SELECT ${POST_COLUMNS} FROM ${POST_FROM}
        WHERE p.author_id IN (${list}) AND p.deleted_at IS NULL
          AND ($2::timestamptz IS NULL OR (p.created_at, p.id) < ($2::timestamptz, $3::bigint))
        ORDER BY p.created_at DESC, p.id DESC LIMIT $4`,
      [viewerId, before ? ts(before) : null, before ? before.id.toString() : null, limit],
    );
    return rows;
  }

  /** What rankings and fan-out need of one post (deleted ones included, flagged). */
  async postMeta(id: string): Promise<PostMeta | null> {
    const { rows } = await this.#db.query<PostMeta>(
      `SELECT p.id::text AS id, p.author_id::text AS author_id, p.created_at, p.deleted_at IS NOT NULL AS deleted,
              p.like_count, p.comment_count, COALESCE(v.view_count, 0)::text AS view_count
         FROM ${POST_FROM} WHERE p.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Posts created since `since` (rankings rebuild), in id order, a batch at a time. */
  async postMetasSince(since: Date, afterId: string, limit: number): Promise<PostMeta[]> {
    const { rows } = await this.#db.query<PostMeta>(
      `SELECT p.id::text AS id, p.author_id::text AS author_id, p.created_at, false AS deleted,
              p.like_count, p.comment_count, COALESCE(v.view_count, 0)::text AS view_count
         FROM ${POST_FROM}
        WHERE p.created_at >= $1 AND p.deleted_at IS NULL AND p.id > $2
        ORDER BY p.id LIMIT $3`,
      [since, afterId, limit],
    );
    return rows;
  }

  async postIdOfComment(commentId: string): Promise<string | null> {
    const { rows } = await this.#db.query<{ post_id: string }>('SELECT post_id::text AS post_id FROM content.comments WHERE id = $1', [commentId]);
    return rows[0]?.post_id ?? null;
  }

  /** Live comment of a live post. */
  async commentById(id: string, viewerId: string): Promise<CommentRow | null> {
    const { rows } = await this.#db.query<CommentRow>(
      `SELECT ${COMMENT_COLUMNS} FROM content.comments c JOIN content.posts p ON p.id = c.post_id
        WHERE c.id = $2 AND c.deleted_at IS NULL AND p.deleted_at IS NULL`,
      [viewerId, id],
    );
    return rows[0] ?? null;
  }

  /** Top-level comments of a post (parentId null) or direct replies of a comment, oldest first. */
  async commentsOldestFirst(where: { postId: string } | { parentId: string }, after: Position | null, limit: number, viewerId: string): Promise<CommentRow[]> {
    const byPost = 'postId' in where;
    const { rows } = await this.#db.query<CommentRow>(
      `SELECT ${COMMENT_COLUMNS} FROM content.comments c
        WHERE ${byPost ? 'c.post_id = $2 AND c.parent_id IS NULL' : 'c.parent_id = $2'} AND c.deleted_at IS NULL
          AND ($3::timestamptz IS NULL OR (c.created_at, c.id) > ($3::timestamptz, $4::bigint))
        ORDER BY c.created_at ASC, c.id ASC LIMIT $5`,
      [viewerId, byPost ? where.postId : where.parentId, after ? ts(after) : null, after ? after.id.toString() : null, limit],
    );
    return rows;
  }

  /** A member's live comments on live posts, newest first. */
  async commentsByAuthor(authorId: string, before: Position | null, limit: number, viewerId: string): Promise<CommentRow[]> {
    const { rows } = await this.#db.query<CommentRow>(
      `SELECT ${COMMENT_COLUMNS} FROM content.comments c JOIN content.posts p ON p.id = c.post_id
        WHERE c.author_id = $2 AND c.deleted_at IS NULL AND p.deleted_at IS NULL
          AND ($3::timestamptz IS NULL OR (c.created_at, c.id) < ($3::timestamptz, $4::bigint))
        ORDER BY c.created_at DESC, c.id DESC LIMIT $5`,
      [viewerId, authorId, before ? ts(before) : null, before ? before.id.toString() : null, limit],
    );
    return rows;
  }

  async postExists(id: string): Promise<boolean> {
    const { rows } = await this.#db.query('SELECT 1 FROM content.posts WHERE id = $1 AND deleted_at IS NULL', [id]);
    return rows.length > 0;
  }

  async commentExists(id: string): Promise<boolean> {
    const { rows } = await this.#db.query(
      'SELECT 1 FROM content.comments c JOIN content.posts p ON p.id = c.post_id WHERE c.id = $1 AND c.deleted_at IS NULL AND p.deleted_at IS NULL',
      [id],
    );
    return rows.length > 0;
  }

  /** Counts one view; returns the new count. */
  async countView(postId: string): Promise<string> {
    const { rows } = await this.#db.query<{ view_count: string }>(
      `INSERT INTO timeline.post_views (post_id, view_count, updated_at) VALUES ($1, 1, now())
       ON CONFLICT (post_id) DO UPDATE SET view_count = timeline.post_views.view_count + 1, updated_at = now()
       RETURNING view_count::text AS view_count`,
      [postId],
    );
    return rows[0]?.view_count ?? '1';
  }
}
