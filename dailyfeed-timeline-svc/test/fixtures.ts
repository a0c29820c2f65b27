/**
 * Rows of member-svc's and content-svc's tables, written as those services would (through
 * PG_ADMIN_URL: timeline's own role may only read them). Column lists follow their schemas.
 */
import pg from 'pg';
import { runId } from '../dailyfeed-shared/testing/servers.ts';

export class Fixtures {
  readonly pool: pg.Pool;
  readonly #tag = runId();
  #n = 0;
  /** Posts written through this instance (retirePosts soft-deletes them). */
  readonly createdPosts: string[] = [];

  constructor(url = process.env.PG_ADMIN_URL as string) {
    this.pool = new pg.Pool({ connectionString: url, max: 4 });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async member(options: { followersCount?: number } = {}): Promise<string> {
    this.#n += 1;
    const handle = `t${this.#tag}_${this.#n}`.slice(0, 50);
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO member.members (email, handle, password_hash, member_name, display_name, followers_count)
       VALUES ($1, $2, 'x', 'Tester', $3, $4) RETURNING id::text AS id`,
      [`${handle}@test.local`, handle, `Display ${handle}`, options.followersCount ?? 0],
    );
    return (rows[0] as { id: string }).id;
  }

  async members(count: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO member.members (email, handle, password_hash, member_name, display_name)
       SELECT 'b' || $1 || '_' || g || '@test.local', 'b' || $1 || '_' || g, 'x', 'Tester', 'Bulk ' || g FROM generate_series(1, $2) g
       RETURNING id::text AS id`,
      [this.#tag + String((this.#n += 1)), count],
    );
    return rows.map((r) => r.id);
  }

  async follow(followerId: string, followeeId: string): Promise<void> {
    await this.pool.query('INSERT INTO member.follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [followerId, followeeId]);
    await this.pool.query('UPDATE member.members SET followers_count = followers_count + 1 WHERE id = $1', [followeeId]);
  }

  async followMany(followerIds: string[], followeeId: string): Promise<void> {
    await this.pool.query('INSERT INTO member.follows (follower_id, followee_id) SELECT unnest($1::bigint[]), $2 ON CONFLICT DO NOTHING', [followerIds, followeeId]);
    await this.pool.query('UPDATE member.members SET followers_count = followers_count + $2 WHERE id = $1', [followeeId, followerIds.length]);
  }

  async unfollow(followerId: string, followeeId: string): Promise<void> {
    await this.pool.query('DELETE FROM member.follows WHERE follower_id = $1 AND followee_id = $2', [followerId, followeeId]);
    await this.pool.query('UPDATE member.members SET followers_count = followers_count - 1 WHERE id = $1', [followeeId]);
  }

  async setFollowersCount(memberId: string, count: number): Promise<void> {
    await this.pool.query('UPDATE member.members SET followers_count = $2 WHERE id = $1', [memberId, count]);
  }

  async post(authorId: string, options: { createdAt?: Date; title?: string; content?: string } = {}): Promise<string> {
    const createdAt = options.createdAt ?? new Date();
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO content.posts (author_id, title, content, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id::text AS id`,
      [authorId, options.title ?? null, options.content ?? 'hello', createdAt],
    );
    const id = (rows[0] as { id: string }).id;
    this.createdPosts.push(id);
    return id;
  }

  /** A post with a chosen id (an event that arrived before its row became visible). */
  async postWithId(id: string, authorId: string): Promise<void> {
    await this.pool.query(`INSERT INTO content.posts (id, author_id, content) VALUES ($1, $2, 'late row')`, [id, authorId]);
  }

  /** Soft-deletes this run's posts, so later runs' window queries never meet them. */
  async retirePosts(): Promise<void> {
    await this.pool.query('UPDATE content.posts SET deleted_at = now() WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL', [this.createdPosts]);
  }

  async deletePost(postId: string): Promise<void> {
    await this.pool.query('UPDATE content.posts SET deleted_at = now() WHERE id = $1', [postId]);
  }

  async like(postId: string, memberId: string): Promise<void> {
    await this.pool.query('INSERT INTO content.post_likes (post_id, member_id) VALUES ($1, $2)', [postId, memberId]);
    await this.pool.query('UPDATE content.posts SET like_count = like_count + 1 WHERE id = $1', [postId]);
  }

  async comment(postId: string, authorId: string, options: { parentId?: string; createdAt?: Date } = {}): Promise<string> {
    let depth = 0;
    if (options.parentId) {
      const { rows } = await this.pool.query<{ depth: number }>('SELECT depth FROM content.comments WHERE id = $1', [options.parentId]);
      depth = (rows[0]?.depth ?? 0) + 1;
      await this.pool.query('UPDATE content.comments SET reply_count = reply_count + 1 WHERE id = $1', [options.parentId]);
    }
    const createdAt = options.createdAt ?? new Date();
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO content.comments (post_id, parent_id, depth, author_id, content, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'a comment', $5, $5) RETURNING id::text AS id`,
      [postId, options.parentId ?? null, depth, authorId, createdAt],
    );
    await this.pool.query('UPDATE content.posts SET comment_count = comment_count + 1 WHERE id = $1', [postId]);
    return (rows[0] as { id: string }).id;
  }

  async likeComment(commentId: string, memberId: string): Promise<void> {
    await this.pool.query('INSERT INTO content.comment_likes (comment_id, member_id) VALUES ($1, $2)', [commentId, memberId]);
    await this.pool.query('UPDATE content.comments SET like_count = like_count + 1 WHERE id = $1', [commentId]);
  }
}
