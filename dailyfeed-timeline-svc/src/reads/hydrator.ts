/**
 * Turns ordered post ids into Posts. Feed and ranking pages (`postsInOrder`) take post rows
 * from an in-process cache (POST_CACHE_TTL_MS, default 1 s: counters and edits show within it,
 * a delete is evicted at once on the replica that handles the event) and `liked` from the
 * reader's Redis set, so a warm page needs no database round trip; misses are one query.
 * Lists and details read rows, view counts and `liked` in one SQL statement.
 */
import type { Comment, Post } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { CommentRow, ContentRepo, PostRow } from '../db/content-repo.ts';
import type { SummaryReader } from '../members/summaries.ts';
import { commentOf, postOf } from './mappers.ts';
import type { LikedReader } from './liked.ts';

const MAX_CACHED = 50_000;

export class Hydrator {
  readonly #content: ContentRepo;
  readonly #summaries: SummaryReader;
  readonly #liked: LikedReader;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { row: PostRow; expires: number }>();

  constructor(options: { content: ContentRepo; summaries: SummaryReader; liked: LikedReader; postCacheTtlMs: number }) {
    this.#content = options.content;
    this.#summaries = options.summaries;
    this.#liked = options.liked;
    this.#ttlMs = options.postCacheTtlMs;
  }

  /** Posts in the order of `ids`; missing or deleted ones are left out. */
  async postsInOrder(ids: readonly string[], viewerId: string): Promise<Post[]> {
    const now = Date.now();
    const rows = new Map<string, PostRow>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.#cache.get(id);
      if (hit && hit.expires > now) rows.set(id, hit.row);
      else missing.push(id);
    }
    const [fetched, liked] = await Promise.all([this.#content.postsByIds(missing, '0'), this.#liked.likedAmong(viewerId, ids)]);
    for (const row of fetched) {
      rows.set(row.id, row);
      if (this.#ttlMs > 0) {
        if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value as string);
        this.#cache.set(row.id, { row, expires: now + this.#ttlMs });
      }
    }
    const ordered: PostRow[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (row) ordered.push({ ...row, liked: liked.has(id) });
    }
    return this.posts(ordered);
  }

  evictPost(postId: string): void {
    this.#cache.delete(postId);
  }

  async posts(rows: readonly PostRow[]): Promise<Post[]> {
    const authors = await this.#summaries.byIds(rows.map((row) => row.author_id));
    return rows.map((row) => postOf(row, authors));
  }

  async comments(rows: readonly CommentRow[]): Promise<Comment[]> {
    const authors = await this.#summaries.byIds(rows.map((row) => row.author_id));
    return rows.map((row) => commentOf(row, authors));
  }
}
