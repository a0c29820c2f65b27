/**
 * The newest posts of authors above the hybrid threshold, cached in process for a second
 * (PULLED_CACHE_TTL_MS): thousands of readers follow the same few big authors, so one query
 * per author per second serves all their pages instead of one query per page. A new post of
 * such an author shows within that time (well inside the 5 s promise); deep pages (past the
 * cached newest PULLED_CACHE_SIZE) go to PostgreSQL.
 */
import type { ContentRepo } from '../db/content-repo.ts';
import { isAfterDesc, type FeedEntry, type Position } from './entries.ts';

interface Cached {
  entries: FeedEntry[];
  /** true when the author has no posts beyond `entries` */
  complete: boolean;
  expires: number;
}

export class PulledPosts {
  readonly #content: ContentRepo;
  readonly #ttlMs: number;
  readonly #size: number;
  readonly #cache = new Map<string, Cached>();
  readonly #loading = new Map<string, Promise<void>>();

  constructor(options: { content: ContentRepo; ttlMs: number; size: number }) {
    this.#content = options.content;
    this.#ttlMs = options.ttlMs;
    this.#size = options.size;
  }

  /**
   * Newest-first entries of the authors strictly after `after`: newest-first runs (one per
   * cached author, one for the rest) for mergeDesc, each at most `need` long.
   */
  async entries(authorIds: readonly string[], after: Position | null, need: number): Promise<FeedEntry[][]> {
    if (authorIds.length === 0) return [];
    if (this.#ttlMs === 0) return [await this.#content.entriesByAuthors(authorIds, after, need)];
    const now = Date.now();
    const stale = authorIds.filter((id) => !((this.#cache.get(id)?.expires ?? 0) > now));
    if (stale.length > 0) await this.#load(stale, now);
    const out: FeedEntry[][] = [];
    const deep: string[] = [];
    for (const id of authorIds) {
      const cached = this.#cache.get(id);
      if (!cached) {
        deep.push(id);
        continue;
      }
      const from = firstAfter(cached.entries, after);
      // The cached list covers this page only if it still holds `need` entries after the
      // cursor, or holds all of the author's posts.
      if (cached.entries.length - from >= need || cached.complete) out.push(cached.entries.slice(from, from + need));
      else deep.push(id);
    }
    if (deep.length > 0) out.push(await this.#content.entriesByAuthors(deep, after, need));
    return out;
  }

  evictAuthor(authorId: string): void {
    this.#cache.delete(authorId);
  }

  async #load(authorIds: string[], now: number): Promise<void> {
    const key = authorIds.join(',');
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = (async () => {
        // One query for all stale authors: newest `size` of each (LATERAL top-N per author).
        const rows = await this.#content.entriesPerAuthor(authorIds, this.#size);
        const byAuthor = new Map<string, FeedEntry[]>(authorIds.map((id) => [id, []]));
        for (const row of rows) byAuthor.get(row.authorId)?.push(row);
        for (const [id, entries] of byAuthor) this.#cache.set(id, { entries, complete: entries.length < this.#size, expires: now + this.#ttlMs });
        if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value as string);
      })().finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    await loading;
  }
}

/** Index of the first entry of a newest-first list strictly after `after` (binary search). */
function firstAfter(entries: readonly FeedEntry[], after: Position | null): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isAfterDesc(entries[mid] as FeedEntry, after)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
