/**
 * Author Summaries for every Post and Comment, in batches. Decision (README, "Author
 * summaries"): read `member.members` directly (one indexed query per batch of cache misses)
 * rather than member-svc's `POST /internal/members/summaries`: the same data without an HTTP
 * hop, serialisation and the critical client's 200/s rate limit, which a feed page at
 * thousands of requests/s would exceed. An in-process cache (SUMMARY_CACHE_TTL_MS) takes most
 * lookups off the database; a renamed handle shows within that time. The mapping mirrors
 * member-svc's member-mapper (avatar URL, "deleted" placeholder of deactivated members).
 */
import type { Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { Queryable } from '../db/pool.ts';

export const DELETED_PLACEHOLDER = 'deleted';
export const avatarUrlOf = (imageId: string | null): string | null =>
  imageId === null ? null : `/api/images/view/${imageId}?variant=thumbnail`;

const placeholder = (id: string): Summary => ({ id, handle: DELETED_PLACEHOLDER, displayName: DELETED_PLACEHOLDER, avatarUrl: null, verified: false });

interface Row {
  id: string;
  handle: string;
  display_name: string;
  avatar_image_id: string | null;
  verified: boolean;
  deactivated_at: Date | null;
}

const MAX_ENTRIES = 50_000;

export class SummaryReader {
  readonly #db: Queryable;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { summary: Summary; expires: number }>();

  constructor(options: { db: Queryable; ttlMs: number }) {
    this.#db = options.db;
    this.#ttlMs = options.ttlMs;
  }

  async byIds(ids: Iterable<string>): Promise<Map<string, Summary>> {
    const now = Date.now();
    const out = new Map<string, Summary>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.#cache.get(id);
      if (hit && hit.expires > now) out.set(id, hit.summary);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const { rows } = await this.#db.query<Row>(
        `SELECT id::text AS id, handle, display_name, avatar_image_id::text AS avatar_image_id, verified, deactivated_at
           FROM member.members WHERE id = ANY($1::bigint[])`,
        [missing],
      );
      const found = new Map(rows.map((row) => [row.id, row]));
      for (const id of missing) {
        const row = found.get(id);
        const summary =
          row && row.deactivated_at === null
            ? { id, handle: row.handle, displayName: row.display_name, avatarUrl: avatarUrlOf(row.avatar_image_id), verified: row.verified }
            : placeholder(id);
        out.set(id, summary);
        if (this.#ttlMs > 0) {
          if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string);
          this.#cache.set(id, { summary, expires: now + this.#ttlMs });
        }
      }
    }
    return out;
  }
}
