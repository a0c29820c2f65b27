/**
 * Rendered follow-feed pages, kept per reader for a short while (FEED_PAGE_MEMO_MS, 1 s by
 * default), so a reader who asks again gets the same bytes without a Redis round trip or a
 * build, and without seeing anything older than what a reader notices:
 * - the reader's feed set and liked set were read on a tracked Redis connection
 *   (db/redis-tracking.ts): Redis announces their first change (a new post fanned out, an entry
 *   removed, a like or unlike, a flush) and the reader's pages go at once;
 * - events handled on this replica (a delete, a big author's new post, the reader's follow
 *   change) drop pages at once, as they evict the in-process caches;
 * - what only the in-process caches bring (counters, edits, a big author's post seen by another
 *   replica, a follow change handled elsewhere) shows up to FEED_PAGE_MEMO_MS later than it
 *   would without the memo.
 * A page is stored only if no announcement about its reader (or a flush, or a tracking lapse)
 * came between the start of its build and its end (a ticket taken before its first read is
 * checked after it). Concurrent asks of one page share its build; one made after an
 * announcement about the reader starts its own.
 */
import { feedKey } from './feed-store.ts';
import { likedKey } from '../reads/liked.ts';

interface MemoTicket {
  readerId: string;
  epoch: number;
  seq: number;
  /** When the build began: the page lives `maxAgeMs` from here. */
  at: number;
}

interface Memoised<V> {
  value: V;
  validUntil: number;
  epoch: number;
}

/** Pages kept per reader (first pages of a few sizes, a few pages deep). */
const VARIANTS_PER_READER = 4;
const MAX_CHANGES_REMEMBERED = 10_000;
const FEED_PREFIX = feedKey('');
const LIKED_PREFIX = likedKey('');

export class FeedPageMemo<V> {
  readonly #maxPages: number;
  readonly #maxAgeMs: number;
  #count = 0;
  readonly #epoch: () => number | null;
  readonly #now: () => number;
  /** reader -> page variant (size, cursor) -> page; Map order is the readers' LRU order. */
  readonly #pages = new Map<string, Map<string, Memoised<V>>>();
  #seq = 0;
  /** While builds are in flight: the last change seen per reader, and of everything. */
  readonly #changedAt = new Map<string, number>();
  #allChangedAt = 0;
  #building = 0;
  /** Answers of `get` (a miss by why: no page, its age ran out, tracking lapsed since) and asks that joined a build in flight. */
  readonly stats = { hit: 0, absent: 0, expired: 0, lapsed: 0, joined: 0 };
  /** Builds in flight: reader -> variant -> build (forgotten when the reader changes). */
  readonly #inFlight = new Map<string, Map<string, Promise<V>>>();

  constructor(options: { maxPages: number; maxAgeMs: number; epoch: () => number | null; now?: () => number }) {
    this.#maxPages = options.maxPages;
    this.#maxAgeMs = options.maxAgeMs;
    this.#epoch = options.epoch;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#count;
  }

  /** The memoised page if it is still good (counted by result). */
  get(readerId: string, variant: string): V | undefined {
    const page = this.#pages.get(readerId)?.get(variant);
    if (!page) this.stats.absent += 1;
    else if (page.epoch !== this.#epoch()) this.stats.lapsed += 1;
    else if (this.#now() >= page.validUntil) this.stats.expired += 1;
    else {
      this.stats.hit += 1;
      return page.value;
    }
    return undefined;
  }

  /**
   * The page: memoised, or the build of it already in flight (concurrent asks of one page share
   * one build, unless the reader changed since it began), or `build()` now, kept if it may be.
   */
  async page(readerId: string, variant: string, build: () => Promise<V>): Promise<V> {
    const memoised = this.get(readerId, variant);
    if (memoised !== undefined) return memoised;
    const joined = this.#inFlight.get(readerId)?.get(variant);
    if (joined) {
      this.stats.joined += 1;
      return joined;
    }
    const ticket = this.#begin(readerId);
    if (!ticket) return build();
    const building = build();
    let flights = this.#inFlight.get(readerId);
    if (!flights) this.#inFlight.set(readerId, (flights = new Map()));
    flights.set(variant, building);
    let value: V | undefined;
    try {
      value = await building;
      return value;
    } finally {
      // Unless a change of the reader forgot this build (and maybe started another) meanwhile.
      const current = this.#inFlight.get(readerId);
      if (current?.get(variant) === building) {
        current.delete(variant);
        if (current.size === 0) this.#inFlight.delete(readerId);
      }
      this.#settle(ticket, variant, value);
    }
  }

  /** Before a page's first read; null when nothing can be memoised now (tracking lapsed). */
  #begin(readerId: string): MemoTicket | null {
    const epoch = this.#epoch();
    if (epoch === null) return null;
    this.#building += 1;
    return { readerId, epoch, seq: this.#seq, at: this.#now() };
  }

  /** After the build: stores the page when its ticket still holds, and ends the ticket. */
  #settle(ticket: MemoTicket, variant: string, value: V | undefined): void {
    try {
      const changed = Math.max(this.#allChangedAt, this.#changedAt.get(ticket.readerId) ?? 0);
      const validUntil = ticket.at + this.#maxAgeMs;
      if (value === undefined || changed > ticket.seq || ticket.epoch !== this.#epoch() || validUntil <= this.#now()) return;
      let pages = this.#pages.get(ticket.readerId);
      if (pages) this.#pages.delete(ticket.readerId);
      else pages = new Map();
      if (!pages.delete(variant)) this.#count += 1;
      pages.set(variant, { value, validUntil, epoch: ticket.epoch });
      if (pages.size > VARIANTS_PER_READER) {
        pages.delete(pages.keys().next().value as string);
        this.#count -= 1;
      }
      this.#pages.set(ticket.readerId, pages); // most recent last
      while (this.#count > this.#maxPages) this.dropReader(this.#pages.keys().next().value as string);
    } finally {
      this.#building -= 1;
      if (this.#building === 0) this.#changedAt.clear();
    }
  }

  /** A Redis key changed (null: all of them); only feed and liked sets concern pages. */
  keyChanged(key: string | null): void {
    if (key === null) return this.clear();
    if (key.startsWith(FEED_PREFIX)) this.dropReader(key.slice(FEED_PREFIX.length));
    else if (key.startsWith(LIKED_PREFIX)) this.dropReader(key.slice(LIKED_PREFIX.length));
  }

  dropReader(readerId: string): void {
    this.#inFlight.delete(readerId); // asks from now on build anew
    const pages = this.#pages.get(readerId);
    if (pages) {
      this.#count -= pages.size;
      this.#pages.delete(readerId);
    }
    if (this.#building === 0) return;
    this.#changedAt.set(readerId, ++this.#seq);
    // Builds never all done under load: past a bound, count it as a change of everyone (the
    // builds in flight are then not kept, which is always safe).
    if (this.#changedAt.size > MAX_CHANGES_REMEMBERED) {
      this.#changedAt.clear();
      this.#allChangedAt = this.#seq;
    }
  }

  clear(): void {
    this.#inFlight.clear();
    this.#pages.clear();
    this.#count = 0;
    this.#allChangedAt = ++this.#seq;
  }
}
