/**
 * An in-process cache of hot rows (posts, author summaries) that keeps the read path off
 * PostgreSQL without letting rows go stale for long:
 * - an entry younger than `freshMs` is served as is;
 * - an older one is still served, and queued for a refresh: the queue is loaded by one batched
 *   query a little later (a tenth of `freshMs`, at most 100 ms, so many requests share it; at
 *   most one in flight), so a row read thousands of times a second costs one row of one query
 *   per `freshMs`, not a query per request;
 * - one older than `maxStaleMs` (nobody read it for a while) is loaded before answering;
 * - ids not found by a load (deleted rows) leave the cache; `evict` drops one at once (events),
 *   and a load that started before the eviction does not put the old row back.
 * A load that fails leaves the entries as they were (a later read tries again); a synchronous
 * load that fails throws to the caller. `freshMs` 0 turns caching off (every read loads).
 */
/** A cached row nobody read for this many TTLs is reloaded before answering, not served. */
export const MAX_STALE_TTLS = 5;

export interface RefreshAheadOptions<V> {
  /** Loads the rows of `ids`; an id absent from the map does not exist (any more). */
  load(ids: string[]): Promise<Map<string, V>>;
  freshMs: number;
  maxStaleMs: number;
  maxEntries: number;
  now?: () => number;
  onRefreshError?: (error: unknown) => void;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
}

export class RefreshAheadCache<V> {
  readonly #o: RefreshAheadOptions<V>;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<V>>();
  readonly #queued = new Set<string>();
  #refreshing = false;
  /** Evictions by sequence number, so a load that began earlier does not store its old row. */
  #evictionSeq = 0;
  readonly #evictedAt = new Map<string, number>();
  #loadsInFlight = 0;

  constructor(options: RefreshAheadOptions<V>) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The values of `ids` that exist (order of the map: first seen). */
  async getMany(ids: Iterable<string>): Promise<Map<string, V>> {
    const out = new Map<string, V>();
    const missing: string[] = [];
    const now = this.#now();
    const { freshMs, maxStaleMs } = this.#o;
    for (const id of ids) {
      const entry = freshMs > 0 ? this.#entries.get(id) : undefined;
      const age = entry ? now - entry.loadedAt : Infinity;
      if (entry && age <= maxStaleMs) {
        out.set(id, entry.value);
        if (age > freshMs) this.#queue(id);
      } else if (!missing.includes(id)) missing.push(id);
    }
    if (missing.length > 0) {
      const loaded = await this.#load(missing);
      for (const id of missing) {
        const value = loaded.get(id);
        if (value !== undefined) out.set(id, value);
      }
    }
    return out;
  }

  evict(id: string): void {
    this.#entries.delete(id);
    if (this.#loadsInFlight > 0) this.#evictedAt.set(id, ++this.#evictionSeq);
  }

  /** Loads and stores `ids`, except those evicted while the load ran. */
  async #load(ids: string[]): Promise<Map<string, V>> {
    const seq = this.#evictionSeq;
    const at = this.#now();
    this.#loadsInFlight += 1;
    try {
      const loaded = await this.#o.load(ids);
      this.#store(ids, loaded, at, seq);
      return loaded;
    } finally {
      this.#loadsInFlight -= 1;
      if (this.#loadsInFlight === 0) this.#evictedAt.clear();
    }
  }

  #store(ids: readonly string[], loaded: Map<string, V>, at: number, seq: number): void {
    if (this.#o.freshMs <= 0) return;
    for (const id of ids) {
      if ((this.#evictedAt.get(id) ?? 0) > seq) continue;
      const value = loaded.get(id);
      this.#entries.delete(id); // re-inserted last: the Map's order is the eviction order
      if (value === undefined) continue;
      this.#entries.set(id, { value, loadedAt: at });
    }
    while (this.#entries.size > this.#o.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  #queue(id: string): void {
    this.#queued.add(id);
    if (!this.#refreshing) {
      this.#refreshing = true;
      setTimeout(() => void this.#refresh(), Math.min(100, this.#o.freshMs / 10)).unref();
    }
  }

  async #refresh(): Promise<void> {
    try {
      while (this.#queued.size > 0) {
        const ids = [...this.#queued].slice(0, 1_000);
        for (const id of ids) this.#queued.delete(id);
        try {
          await this.#load(ids);
        } catch (error) {
          this.#o.onRefreshError?.(error);
          break;
        }
      }
    } finally {
      this.#queued.clear();
      this.#refreshing = false;
    }
  }
}
