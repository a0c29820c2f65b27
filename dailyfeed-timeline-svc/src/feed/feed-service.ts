/**
 * The follow feed (api.md §4): newest first, keyset-paged.
 *
 * A page = the reader's cached Redis set (fan-out on write) for authors at or below the
 * hybrid threshold, merged with a read-time pull of the followed authors above it, continued
 * from PostgreSQL past the cached prefix. Entries of authors the reader no longer follows and
 * deleted posts are dropped at read time too, so a missed or late event never shows them.
 * A missing set (new reader, idle expiry, eviction, FLUSHDB) is rebuilt from PostgreSQL before
 * answering; Redis down -> the page is pulled from PostgreSQL. Never a silently empty feed.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Post } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { Page } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import type { ContentRepo } from '../db/content-repo.ts';
import type { Followings, FollowingsReader } from '../members/followings.ts';
import type { Hydrator, KnownLikes } from '../reads/hydrator.ts';
import { likedKey } from '../reads/liked.ts';
import { encodePosition, isAfterDesc, mergeDesc, positionOf, type FeedEntry, type Position } from './entries.ts';
import type { FeedStore } from './feed-store.ts';
import type { FeedPageMemo } from './page-memo.ts';
import type { PulledPosts } from './pulled-posts.ts';

export interface FeedServiceDeps {
  store: FeedStore;
  content: ContentRepo;
  followings: FollowingsReader;
  hydrator: Hydrator;
  pulled: PulledPosts;
  log: FastifyBaseLogger;
  /** Turns a page into the bytes the route sends (routes/page-json.ts). */
  render: (page: Page<Post>) => Buffer;
  /** Rendered pages kept while unchanged (page-memo.ts); null = every page is built. */
  memo?: FeedPageMemo<Buffer> | null;
}

export class FeedService {
  readonly #d: FeedServiceDeps;
  readonly #rebuilding = new Map<string, Promise<void>>();
  readonly #views = new WeakMap<Followings, { followed: Set<string>; pushedIds: string[] }>();
  /** Counters for /metrics and tests. */
  readonly stats = { rebuilds: 0, redisFallbacks: 0 };

  constructor(deps: FeedServiceDeps) {
    this.#d = deps;
  }

  /** The page as rendered bytes: the memo's while nothing it was built from has changed. */
  renderedPage(readerId: string, cursor: Position | null, size: number): Promise<Buffer> {
    const build = async () => this.#d.render(await this.page(readerId, cursor, size));
    const memo = this.#d.memo;
    if (!memo) return build();
    return memo.page(readerId, cursor === null ? String(size) : `${size}:${cursor.ms}:${cursor.id}`, build);
  }

  async page(readerId: string, cursor: Position | null, size: number): Promise<Page<Post>> {
    const followings = await this.#d.followings.of(readerId).catch(() => this.#d.followings.load(readerId));
    const collected: Post[] = [];
    const entryOfPost = new Map<string, FeedEntry>();
    let after = cursor;
    // The reader's likes come with the cached entries (one Redis round trip for both).
    const likes: KnownLikes = { known: new Set(), liked: new Set() };
    // Deleted posts found at hydration leave holes: fetch again after the last candidate.
    for (let round = 0; round < 4 && collected.length <= size; round += 1) {
      const need = size + 1 - collected.length;
      const candidates = await this.candidates(readerId, followings, after, need, likes);
      if (candidates.length === 0) break;
      for (const candidate of candidates) entryOfPost.set(candidate.postId, candidate);
      collected.push(...(await this.#d.hydrator.postsInOrder(candidates.map((c) => c.postId), readerId, likes)));
      after = positionOf(candidates[candidates.length - 1] as FeedEntry);
      if (candidates.length < need) break;
    }
    const hasNext = collected.length > size;
    const kept = hasNext ? collected.slice(0, size) : collected;
    const last = kept[kept.length - 1];
    return {
      content: kept,
      size: kept.length,
      hasNext,
      nextCursor: hasNext && last ? encodePosition(positionOf(entryOfPost.get(last.id) as FeedEntry)) : null,
    };
  }

  /** The followed set and the fanned-out authors, computed once per cached followings list. */
  #viewOf(followings: Followings): { followed: Set<string>; pushedIds: string[] } {
    let view = this.#views.get(followings);
    if (!view) {
      const pulled = new Set(followings.pulled);
      view = { followed: new Set(followings.ids), pushedIds: followings.ids.filter((id) => !pulled.has(id)) };
      this.#views.set(followings, view);
    }
    return view;
  }

  /** Newest-first entries strictly after `after`, at most `need`. */
  async candidates(readerId: string, followings: Followings, after: Position | null, need: number, likes?: KnownLikes): Promise<FeedEntry[]> {
    const { followed, pushedIds } = this.#viewOf(followings);
    // Pulled authors first (in-process cache, usually no I/O), so the Redis round trip of the
    // cached entries also answers `liked` for their posts.
    const pulled = followings.pulled.length > 0 ? mergeDesc(await this.#d.pulled.entries(followings.pulled, after, need), need) : [];

    let cached: FeedEntry[];
    try {
      cached = await this.#cachedEntries(readerId, followings, followed, pushedIds, after, need, likes, pulled);
    } catch (error) {
      this.stats.redisFallbacks += 1;
      this.#d.log.warn({ err: error, readerId }, 'feed cache unavailable; pulling the page from PostgreSQL');
      cached = await this.#d.content.entriesByAuthors(pushedIds, after, need);
    }
    return mergeDesc([cached, pulled], need);
  }

  async #cachedEntries(readerId: string, followings: Followings, followed: Set<string>, pushedIds: string[], after: Position | null, need: number, likes: KnownLikes | undefined, pulled: FeedEntry[]): Promise<FeedEntry[]> {
    let limit = need + 5; // a little slack for same-millisecond and unfollowed entries
    const liked = likedKey(readerId);
    const extraIds = likes ? pulled.map((e) => e.postId) : [];
    for (let attempt = 0; ; attempt += 1) {
      let page = await this.#d.store.page(readerId, after, limit, liked, extraIds);
      if (page.state === null || page.state === 'building') {
        await this.rebuild(readerId, followings);
        page = await this.#d.store.page(readerId, after, limit, liked, extraIds);
        if (page.state === null || page.state === 'building') throw new Error('feed cache rebuilt but not readable');
      }
      if (likes && page.liked) {
        for (const entry of page.entries) likes.known.add(entry.postId);
        for (const id of extraIds) likes.known.add(id);
        for (const id of page.liked) likes.liked.add(id);
      }
      const entries = page.entries.filter((e) => isAfterDesc(e, after) && followed.has(e.authorId));
      const exhausted = page.entries.length < limit;
      if (!exhausted && entries.length < need && attempt < 3) {
        limit *= 4; // many same-millisecond or unfollowed entries: read further
        continue;
      }
      if (!exhausted || page.state === 'complete' || entries.length >= need) return entries.slice(0, need);
      // Partial set read to its end: PostgreSQL continues strictly below its lowest entry.
      const lowest = page.lowest;
      const from = lowest && (after === null || isAfterDesc({ postId: lowest.id.toString(), authorId: '', createdMs: lowest.ms }, after)) ? lowest : after;
      const older = await this.#d.content.entriesByAuthors(pushedIds, from, need - entries.length);
      return mergeDesc([entries, older], need);
    }
  }

  /** Rebuilds a reader's cached set from PostgreSQL (one rebuild per reader at a time here). */
  rebuild(readerId: string, followings?: Followings): Promise<void> {
    let running = this.#rebuilding.get(readerId);
    if (!running) {
      running = (async () => {
        const f = followings ?? (await this.#d.followings.load(readerId));
        await this.#d.store.beginRebuild(readerId);
        const entries = await this.#d.content.entriesByAuthors(this.#viewOf(f).pushedIds, null, this.#d.store.cap);
        await this.#d.store.finishRebuild(readerId, entries);
        this.stats.rebuilds += 1;
      })().finally(() => this.#rebuilding.delete(readerId));
      this.#rebuilding.set(readerId, running);
    }
    return running;
  }

  /** The original's implementation (benchmark baseline): followings, then one IN query. */
  async naivePage(readerId: string, cursor: Position | null, size: number): Promise<Page<Post>> {
    const followings = await this.#d.followings.load(readerId);
    const rows = await this.#d.content.naiveFeed(followings.ids, cursor, size + 1, readerId);
    const hasNext = rows.length > size;
    const kept = rows.slice(0, size);
    const posts = await this.#d.hydrator.posts(kept);
    const last = kept[kept.length - 1];
    return {
      content: posts,
      size: posts.length,
      hasNext,
      nextCursor: hasNext && last ? encodePosition({ ms: last.created_at.getTime(), id: BigInt(last.id) }) : null,
    };
  }
}
