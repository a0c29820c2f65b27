/**
 * Rows of other services' tables for the API and indexer suites, written with PG_ADMIN_URL
 * (this service's role may only read `member` and `content`). Columns follow member-svc's and
 * content-svc's schema.prisma; a suite is skipped, with the reason, when those tables are absent.
 */
import pg from 'pg';
import { newId } from './helpers.ts';

export class Fixtures {
  readonly admin: pg.Pool;

  constructor(adminUrl: string) {
    this.admin = new pg.Pool({ connectionString: adminUrl, max: 2 });
  }

  /** null when member.members, content.posts and content.comments exist, else why not. */
  async missingTables(): Promise<string | null> {
    const { rows } = await this.admin.query<{ name: string; ok: boolean }>(
      `SELECT name, to_regclass(name) IS NOT NULL AS ok FROM unnest(ARRAY['member.members', 'content.posts', 'content.comments', 'content.post_likes']) AS name`,
    );
    const absent = rows.filter((row) => !row.ok).map((row) => row.name);
    if (absent.length === 0) return null;
    const reason = `SKIPPED: ${absent.join(', ')} missing (apply member-svc and content-svc migrations first)`;
    console.warn(reason);
    return reason;
  }

  async member(fields: { handle: string; displayName?: string; deactivated?: boolean; followers?: number }): Promise<string> {
    const id = newId();
    await this.admin.query(
      `INSERT INTO member.members (id, email, handle, password_hash, member_name, display_name, followers_count, deactivated_at)
       VALUES ($1, $2, $3, 'x', 'test member', $4, $5, $6)`,
      [id, `${fields.handle}@example.test`, fields.handle, fields.displayName ?? fields.handle, fields.followers ?? 0, fields.deactivated ? new Date() : null],
    );
    return id;
  }

  async post(fields: { authorId: string; title?: string | null; content: string }): Promise<string> {
    const id = newId();
    await this.admin.query(
      `INSERT INTO content.posts (id, author_id, title, content, created_at, updated_at) VALUES ($1, $2, $3, $4, now(), now())`,
      [id, fields.authorId, fields.title ?? null, fields.content],
    );
    return id;
  }

  async updatePost(id: string, fields: { title?: string | null; content: string }): Promise<void> {
    await this.admin.query(`UPDATE content.posts SET title = $2, content = $3, updated_at = clock_timestamp() WHERE id = $1`, [id, fields.title ?? null, fields.content]);
  }

  async deletePost(id: string): Promise<void> {
    await this.admin.query(`UPDATE content.posts SET deleted_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1`, [id]);
  }

  async comment(fields: { postId: string; authorId: string; content: string }): Promise<string> {
    const id = newId();
    await this.admin.query(
      `INSERT INTO content.comments (id, post_id, parent_id, depth, author_id, content, created_at, updated_at) VALUES ($1, $2, NULL, 0, $3, $4, now(), now())`,
      [id, fields.postId, fields.authorId, fields.content],
    );
    return id;
  }

  close(): Promise<void> {
    return this.admin.end();
  }
}
