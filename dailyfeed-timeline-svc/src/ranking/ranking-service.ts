/**
 * Most popular and most commented (api.md §4): ranked sets kept by events (RankingStore),
 * paged by offset, at most RANKING_MAX_PER_AUTHOR posts per author. When the sets are not
 * built yet (first start, Redis flushed) the page comes from one SQL query over the window
 * while a rebuild runs, so a ranking is never silently empty.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Post } from '../../dailyfeed-shared/src/contracts/api.ts';
import { encodeCursor, type Page } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import type { ContentRepo } from '../db/content-repo.ts';
import type { Queryable } from '../db/pool.ts';
import type { FeedEntry } from '../feed/entries.ts';
import type { Hydrator } from '../reads/hydrator.ts';
import { EPOCH_MS, HALF_LIFE_MS, WEIGHTS, WINDOW_MS, type RankingWindow } from './formula.ts';
import type { RankingKind, RankingStore } from './ranking-store.ts';

export interface RankingServiceDeps {
  store: RankingStore;
  content: ContentRepo;
  db: Queryable;
  hydrator: Hydrator;
  maxPerAuthor: number;
  now: () => number;
  log: FastifyBaseLogger;
}

const CHUNK = 200;
const EXPIRE_EVERY_MS = 1_000;

export class RankingService {
  readonly #d: RankingServiceDeps;
  #rebuilding: Promise<void> | null = null;
  #lastExpire = 0;

  constructor(deps: RankingServiceDeps) {
    this.#d = deps;
  }

  async page(kind: RankingKind, window: RankingWindow, offset: number, size: number, viewerId: string): Promise<Page<Post>> {
    const wanted = offset + size + 1;
    let entries: FeedEntry[];
    if (await this.#d.store.isReady().catch(() => false)) {
      await this.#expireSometimes();
      entries = await this.#cappedFromRedis(kind, window, wanted);
    } else {
      void this.rebuild().catch((error: unknown) => this.#d.log.error({ err: error }, 'rankings rebuild failed'));
      entries = await this.#cappedFromSql(kind, window, wanted);
    }
    const slice = entries.slice(offset, offset + size);
    const posts = await this.#d.hydrator.postsInOrder(slice.map((e) => e.postId), viewerId);
    const hasNext = entries.length > offset + size;
    return { content: posts, size: posts.length, hasNext, nextCursor: hasNext ? encodeCursor({ o: offset + size }) : null };
  }

  /** Walks the set best-first, skipping an author's posts past the cap, until `wanted` are found. */
  async #cappedFromRedis(kind: RankingKind, window: RankingWindow, wanted: number): Promise<FeedEntry[]> {
    const perAuthor = new Map<string, number>();
    const out: FeedEntry[] = [];
    for (let start = 0; out.length < wanted; start += CHUNK) {
      const chunk = await this.#d.store.range(kind, window, start, CHUNK);
      for (const entry of chunk) {
        const n = perAuthor.get(entry.authorId) ?? 0;
        if (n >= this.#d.maxPerAuthor) continue;
        perAuthor.set(entry.authorId, n + 1);
        out.push(entry);
        if (out.length >= wanted) break;
      }
      if (chunk.length < CHUNK) break;
    }
    return out;
  }

  async #cappedFromSql(kind: RankingKind, window: RankingWindow, wanted: number): Promise<FeedEntry[]> {
    const since = new Date(this.#d.now() - WINDOW_MS[window]);
    const order =
      kind === 'pop'
        ? `log(2, 1 + ${WEIGHTS.like} * p.like_count + ${WEIGHTS.comment} * p.comment_count + ${WEIGHTS.view} * COALESCE(v.view_count, 0))
             + (extract(epoch FROM p.created_at) * 1000 - ${EPOCH_MS}) / ${HALF_LIFE_MS[window]}`
        : 'p.comment_count';
    const { rows } = await this.#d.db.query<{ id: string; author_id: string }>(
      `SELECT p.id::text AS id, p.author_id::text AS author_id
         FROM content.posts p LEFT JOIN timeline.post_views v ON v.post_id = p.id
        WHERE p.created_at >= $1 AND p.created_at <= $2 AND p.deleted_at IS NULL ${kind === 'cmt' ? 'AND p.comment_count > 0' : ''}
        ORDER BY ${order} DESC, p.id DESC
        LIMIT $3`,
      [since, new Date(this.#d.now()), wanted * this.#d.maxPerAuthor * 4],
    );
    const perAuthor = new Map<string, number>();
    const out: FeedEntry[] = [];
    for (const row of rows) {
      const n = perAuthor.get(row.author_id) ?? 0;
      if (n >= this.#d.maxPerAuthor) continue;
      perAuthor.set(row.author_id, n + 1);
      out.push({ postId: row.id, authorId: row.author_id, createdMs: 0 });
      if (out.length >= wanted) break;
    }
    return out;
  }

  async #expireSometimes(): Promise<void> {
    const now = this.#d.now();
    if (now - this.#lastExpire < EXPIRE_EVERY_MS) return;
    this.#lastExpire = now;
    await this.#d.store.expire(now).catch((error: unknown) => this.#d.log.warn({ err: error }, 'rankings expiry failed'));
  }

  /** Re-ranks one post from its current counters (every ranking event ends here). */
  async refreshPost(postId: string): Promise<void> {
    const meta = await this.#d.content.postMeta(postId);
    if (!meta) return; // never existed here (or not visible yet): nothing to rank
    await this.#d.store.apply([meta], this.#d.now());
  }

  async removePost(postId: string, authorId: string): Promise<void> {
    await this.#d.store.apply([{ id: postId, author_id: authorId, deleted: true }], this.#d.now());
  }

  /** The maintenance job: rebuild when the sets are missing (FLUSHDB), else drop expired posts. */
  async rebuildIfMissing(): Promise<boolean> {
    if (!(await this.#d.store.isReady())) {
      await this.rebuild();
      return true;
    }
    await this.#d.store.expire(this.#d.now());
    return false;
  }

  /** Builds the sets from PostgreSQL: every live post of the last 30 days, in batches. */
  rebuild(): Promise<void> {
    this.#rebuilding ??= (async () => {
      const started = Date.now();
      const since = new Date(this.#d.now() - WINDOW_MS['30d']);
      let afterId = '0';
      let total = 0;
      for (;;) {
        const metas = await this.#d.content.postMetasSince(since, afterId, 5_000);
        if (metas.length === 0) break;
        await this.#d.store.apply(metas, this.#d.now());
        total += metas.length;
        afterId = (metas[metas.length - 1] as { id: string }).id;
      }
      // A post deleted while the batches ran may have been put back by a later batch.
      const { rows: late } = await this.#d.db.query<{ post_id: string; author_id: string }>(
        `SELECT post_id::text AS post_id, author_id::text AS author_id FROM timeline.post_tombstones WHERE deleted_at >= $1`,
        [new Date(started - 60_000)],
      );
      for (const row of late) await this.removePost(row.post_id, row.author_id);
      await this.#d.store.expire(this.#d.now());
      await this.#d.store.markReady();
      this.#d.log.info({ posts: total, ms: Date.now() - started }, 'rankings rebuilt from PostgreSQL');
    })().finally(() => {
      this.#rebuilding = null;
    });
    return this.#rebuilding;
  }
}
