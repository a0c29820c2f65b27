/**
 * Read-only SQL over content-svc's tables (`content.posts`, `content.comments`, the like
 * tables) for the indexer (current state of one post or comment, batches for a reindex)
 * and for hydrating search hits into api.md Posts and Comments. Column names follow
 * content-svc's prisma/schema.prisma (mapped read-only in ours, external tables).
 * `viewCount` lives in timeline-svc's `timeline.post_views`: joined when this role may read
 * it (checked once at start), else 0 (README, "viewCount").
 */
import type { Queryable } from './pool.ts';

export interface PostSource {
  id: string;
  author_id: string;
  title: string | null;
  content: string;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface CommentSource {
  id: string;
  post_id: string;
  author_id: string;
  content: string;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  /** The comment's post is deleted (or gone): the comment leaves the index too. */
  post_deleted: boolean;
}

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

const POST_SOURCE = `p.id::text AS id, p.author_id::text AS author_id, p.title, p.content, p.created_at, p.updated_at, p.deleted_at`;
const COMMENT_SOURCE = `c.id::text AS id, c.post_id::text AS post_id, c.author_id::text AS author_id, c.content,
  c.created_at, c.updated_at, c.deleted_at, (p.id IS NULL OR p.deleted_at IS NOT NULL) AS post_deleted`;

export class ContentReader {
  readonly #db: Queryable;
  #viewsReadable: Promise<boolean> | undefined;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async post(id: string): Promise<PostSource | undefined> {
    const { rows } = await this.#db.query<PostSource>(`SELECT ${POST_SOURCE} FROM content.posts p WHERE p.id = $1`, [id]);
    return rows[0];
  }

  async comment(id: string): Promise<CommentSource | undefined> {
    const { rows } = await this.#db.query<CommentSource>(
      `SELECT ${COMMENT_SOURCE} FROM content.comments c LEFT JOIN content.posts p ON p.id = c.post_id WHERE c.id = $1`,
      [id],
    );
    return rows[0];
  }

  /** Ids of every comment of a post (a deleted post's comments get tombstones). */
  async commentIdsOfPost(postId: string): Promise<string[]> {
    const { rows } = await this.#db.query<{ id: string }>(`SELECT id::text AS id FROM content.comments WHERE post_id = $1`, [postId]);
    return rows.map((row) => row.id);
  }

  /** Reindex: posts with id > after, in id order (deleted ones included, flagged). */
  async postsAfter(after: string, limit: number): Promise<PostSource[]> {
    const { rows } = await this.#db.query<PostSource>(
      `SELECT ${POST_SOURCE} FROM content.posts p WHERE p.id > $1 ORDER BY p.id LIMIT $2`,
      [after, limit],
    );
    return rows;
  }

  async commentsAfter(after: string, limit: number): Promise<CommentSource[]> {
    const { rows } = await this.#db.query<CommentSource>(
      `SELECT ${COMMENT_SOURCE} FROM content.comments c LEFT JOIN content.posts p ON p.id = c.post_id
        WHERE c.id > $1 ORDER BY c.id LIMIT $2`,
      [after, limit],
    );
    return rows;
  }

  /** Live posts by id, for hits: deleted ones are left out, whatever the index says. */
  async postsByIds(ids: string[], viewerId: string): Promise<Map<string, PostRow>> {
    if (ids.length === 0) return new Map();
    const views = (await this.#canReadViews())
      ? `COALESCE((SELECT v.view_count FROM timeline.post_views v WHERE v.post_id = p.id), 0)::text`
      : `'0'`;
    const { rows } = await this.#db.query<PostRow>(
      `SELECT p.id::text AS id, p.author_id::text AS author_id, p.title, p.content,
              COALESCE(p.image_ids::text[], '{}') AS image_ids, p.like_count, p.comment_count, ${views} AS view_count,
              EXISTS (SELECT 1 FROM content.post_likes l WHERE l.post_id = p.id AND l.member_id = $1) AS liked,
              p.created_at, p.updated_at
         FROM content.posts p WHERE p.id = ANY($2::bigint[]) AND p.deleted_at IS NULL`,
      [viewerId, ids],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Live comments of live posts by id. */
  async commentsByIds(ids: string[], viewerId: string): Promise<Map<string, CommentRow>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.#db.query<CommentRow>(
      `SELECT c.id::text AS id, c.post_id::text AS post_id, c.parent_id::text AS parent_id, c.depth,
              c.author_id::text AS author_id, c.content, c.like_count, c.reply_count,
              EXISTS (SELECT 1 FROM content.comment_likes l WHERE l.comment_id = c.id AND l.member_id = $1) AS liked,
              c.created_at, c.updated_at
         FROM content.comments c JOIN content.posts p ON p.id = c.post_id
        WHERE c.id = ANY($2::bigint[]) AND c.deleted_at IS NULL AND p.deleted_at IS NULL`,
      [viewerId, ids],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  #canReadViews(): Promise<boolean> {
    this.#viewsReadable ??= this.#db
      .query<{ ok: boolean }>(
        `SELECT to_regclass('timeline.post_views') IS NOT NULL
                AND has_table_privilege(to_regclass('timeline.post_views'), 'SELECT') AS ok`,
      )
      .then((result) => result.rows[0]?.ok === true)
      .catch(() => false);
    return this.#viewsReadable;
  }
}
