/**
 * Read-only SQL over member-svc's `member.members`: author Summaries of hits (batch, cached
 * in process) and the member search. Decision (README, "Authors"): the member schema is read
 * directly, as timeline-svc does, rather than member-svc's internal API: one indexed query per
 * page without an HTTP hop or the critical client's rate limit. The mapping mirrors
 * member-svc's (avatar URL; deactivated members show as the "deleted" placeholder).
 */
import type { Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { Queryable } from './pool.ts';

export const DELETED_PLACEHOLDER = 'deleted';
export const avatarUrlOf = (imageId: string | null): string | null =>
  imageId === null ? null : `/api/images/view/${imageId}?variant=thumbnail`;
export const placeholderSummary = (id: string): Summary => ({
  id,
  handle: DELETED_PLACEHOLDER,
  displayName: DELETED_PLACEHOLDER,
  avatarUrl: null,
  verified: false,
});

interface Row {
  id: string;
  handle: string;
  display_name: string;
  avatar_image_id: string | null;
  verified: boolean;
  deactivated_at: Date | null;
}

const summaryOf = (row: Row): Summary => ({
  id: row.id,
  handle: row.handle,
  displayName: row.display_name,
  avatarUrl: avatarUrlOf(row.avatar_image_id),
  verified: row.verified,
});

const MAX_ENTRIES = 50_000;
const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

export class MemberReader {
  readonly #db: Queryable;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { summary: Summary; expires: number }>();

  constructor(options: { db: Queryable; ttlMs: number }) {
    this.#db = options.db;
    this.#ttlMs = options.ttlMs;
  }

  async summaries(ids: Iterable<string>): Promise<Map<string, Summary>> {
    const now = Date.now();
    const out = new Map<string, Summary>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.#cache.get(id);
      if (hit && hit.expires > now) out.set(id, hit.summary);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const { rows } = await this.#db.query<Row>(
      `SELECT id::text AS id, handle, display_name, avatar_image_id::text AS avatar_image_id, verified, deactivated_at
         FROM member.members WHERE id = ANY($1::bigint[])`,
      [missing],
    );
    const found = new Map(rows.map((row) => [row.id, row]));
    for (const id of missing) {
      const row = found.get(id);
      const summary = row && row.deactivated_at === null ? summaryOf(row) : placeholderSummary(id);
      out.set(id, summary);
      if (this.#ttlMs > 0) {
        if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string);
        this.#cache.set(id, { summary, expires: now + this.#ttlMs });
      }
    }
    return out;
  }

  /**
   * Members whose handle or display name starts with `prefix` (case-insensitive), deactivated
   * ones excluded. Order: exact handle, handle prefix, then display-name prefix; within each,
   * most followed first, then id.
   */
  async searchByPrefix(prefix: string, offset: number, limit: number): Promise<Summary[]> {
    const pattern = `${escapeLike(prefix.toLowerCase())}%`;
    const { rows } = await this.#db.query<Row>(
      `SELECT id::text AS id, handle, display_name, avatar_image_id::text AS avatar_image_id, verified, deactivated_at
         FROM member.members
        WHERE deactivated_at IS NULL AND (lower(handle) LIKE $1 OR lower(display_name) LIKE $1)
        ORDER BY (lower(handle) = $2) DESC, (lower(handle) LIKE $1) DESC, followers_count DESC, id
        OFFSET $3 LIMIT $4`,
      [pattern, prefix.toLowerCase(), offset, limit],
    );
    return rows.map(summaryOf);
  }
}
