/**
 * Turns ordered post ids into Posts. Feed and ranking pages (`postsInOrder`) take post rows
 * from an in-process refresh-ahead cache (POST_CACHE_TTL_MS, default 1 s: a row read after that
 * is refreshed in the background by one batched query, so counters and edits show within about
 * that time; a delete is evicted at once on the replica that handles the event) and `liked`
 * from the reader's Redis set, so a warm page needs no database round trip; misses are one query.
 * Lists and details read rows, view counts and `liked` in one SQL statement.
 */
import type { Comment, Post, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { CommentRow, ContentRepo, PostRow } from '../db/content-repo.ts';
import type { SummaryReader } from '../members/summaries.ts';
import { commentOf, postOf } from './mappers.ts';
import type { LikedReader } from './liked.ts';
import { MAX_STALE_TTLS, RefreshAheadCache } from './refresh-ahead-cache.ts';

const MAX_CACHED = 50_000;

/** The viewer's likes already read with the page's ids (the feed reads both in one round trip). */
export interface KnownLikes {
  /** ids whose like status is known */
  known: Set<string>;
  /** those of them the viewer likes */
  liked: Set<string>;
}

export class Hydrator {
  readonly #content: ContentRepo;
  readonly #summaries: SummaryReader;
  readonly #liked: LikedReader;
  readonly #cache: RefreshAheadCache<PostRow>;
  readonly #mapped = new WeakMap<PostRow, { author: Summary | undefined; post: Post; likedPost: Post | null; checkedAt: number }>();
  readonly #summaryTtlMs: number;

  constructor(options: { content: ContentRepo; summaries: SummaryReader; liked: LikedReader; postCacheTtlMs: number; summaryTtlMs: number; onRefreshError?: (error: unknown) => void }) {
    this.#content = options.content;
    this.#summaryTtlMs = options.summaryTtlMs;
    this.#summaries = options.summaries;
    this.#liked = options.liked;
    this.#cache = new RefreshAheadCache({
      // `liked` of these rows is nobody's: the viewer's comes from the liked set below.
      load: async (ids) => new Map((await this.#content.postsByIds(ids, '0')).map((row) => [row.id, row])),
      freshMs: options.postCacheTtlMs,
      maxStaleMs: options.postCacheTtlMs * MAX_STALE_TTLS,
      maxEntries: MAX_CACHED,
      ...(options.onRefreshError ? { onRefreshError: options.onRefreshError } : {}),
    });
  }

  /** Posts in the order of `ids`; missing or deleted ones are left out. */
  async postsInOrder(ids: readonly string[], viewerId: string, likes?: KnownLikes): Promise<Post[]> {
    const unknown = likes ? ids.filter((id) => !likes.known.has(id)) : ids;
    const [rows, asked] = await Promise.all([this.#cache.getMany(ids), unknown.length > 0 ? this.#liked.likedAmong(viewerId, unknown) : null]);
    const liked = (id: string) => (asked?.has(id) ?? false) || (likes?.liked.has(id) ?? false);
    // A cached row is mapped once per version of its author's summary, not once per page; the
    // summary behind a mapping is looked at again once it is older than the summary TTL.
    const now = Date.now();
    const unchecked: PostRow[] = [];
    for (const row of rows.values()) {
      const mapped = this.#mapped.get(row);
      if (!mapped || now - mapped.checkedAt >= this.#summaryTtlMs) unchecked.push(row);
    }
    if (unchecked.length > 0) {
      const authors = await this.#summaries.byIds(unchecked.map((row) => row.author_id));
      for (const row of unchecked) {
        const author = authors.get(row.author_id);
        const mapped = this.#mapped.get(row);
        if (mapped && mapped.author === author) mapped.checkedAt = now;
        else this.#mapped.set(row, { author, post: postOf({ ...row, liked: false }, authors), likedPost: null, checkedAt: now });
      }
    }
    const out: Post[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      const mapped = row && this.#mapped.get(row);
      if (!mapped) continue;
      // The same objects page after page (routes/page-json.ts serialises each once).
      out.push(liked(id) ? (mapped.likedPost ??= { ...mapped.post, liked: true }) : mapped.post);
    }
    return out;
  }

  evictPost(postId: string): void {
    this.#cache.evict(postId);
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
