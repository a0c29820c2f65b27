/**
 * Author Summaries for every Post and Comment, in batches. Decision (README, "Author
 * summaries"): read `member.members` directly (one indexed query per batch of cache misses)
 * rather than member-svc's `POST /internal/members/summaries`: the same data without an HTTP
 * hop, serialisation and the critical client's 200/s rate limit, which a feed page at
 * thousands of requests/s would exceed. An in-process refresh-ahead cache (SUMMARY_CACHE_TTL_MS)
 * takes the lookups off the request path; a renamed handle shows within about that time. The mapping mirrors
 * member-svc's member-mapper (avatar URL, "deleted" placeholder of deactivated members).
 */
import type { Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { Queryable } from '../db/pool.ts';
import { MAX_STALE_TTLS, RefreshAheadCache } from '../reads/refresh-ahead-cache.ts';

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
  readonly #cache: RefreshAheadCache<Summary>;

  constructor(options: { db: Queryable; ttlMs: number; onRefreshError?: (error: unknown) => void }) {
    this.#db = options.db;
    this.#cache = new RefreshAheadCache({
      load: (ids) => this.#load(ids),
      freshMs: options.ttlMs,
      maxStaleMs: options.ttlMs * MAX_STALE_TTLS,
      maxEntries: MAX_ENTRIES,
      ...(options.onRefreshError ? { onRefreshError: options.onRefreshError } : {}),
    });
  }

  /** Every id gets a Summary: unknown and deactivated members the "deleted" placeholder. */
  byIds(ids: Iterable<string>): Promise<Map<string, Summary>> {
    return this.#cache.getMany(ids);
  }

  async #load(ids: string[]): Promise<Map<string, Summary>> {
    const { rows } = await this.#db.query<Row>(
      `SELECT id::text AS id, handle, display_name, avatar_image_id::text AS avatar_image_id, verified, deactivated_at
         FROM member.members WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    const found = new Map(rows.map((row) => [row.id, row]));
    return new Map(
      ids.map((id) => {
        const row = found.get(id);
        const summary =
          row && row.deactivated_at === null
            ? { id, handle: row.handle, displayName: row.display_name, avatarUrl: avatarUrlOf(row.avatar_image_id), verified: row.verified }
            : placeholder(id);
        return [id, summary];
      }),
    );
  }
}
