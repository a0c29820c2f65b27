/**
 * Redis de-duplication of consumed events by `eventId` (events.md, "Consumers").
 *
 * An optimisation, never the guarantee: the consumer's store is an upsert by a natural key
 * (`messageKey`), so a duplicate that slips through (Redis down, flushed, key expired) is
 * harmless. Hence:
 * - `isDone` answers "not done" when Redis fails or is slow (the event goes through);
 * - `markDone` is called only AFTER the effect is stored: a claim taken before the store
 *   would, after a crash between claim and store, drop the redelivered record for good;
 * - both are bounded by `timeoutMs`, so a hung Redis never stalls a partition.
 *
 * Keys: `{prefix}{group}:{eventId}` with a TTL longer than any redelivery horizon (the topic
 * retention: a group reset replays at most the retained days).
 */
import type { Redis } from 'ioredis';

export interface DedupGuard {
  /** true only when Redis positively says this event was stored before. */
  isDone(eventId: string): Promise<boolean>;
  /** Records the event as stored; failures are swallowed (counted, logged at most once a minute). */
  markDone(eventId: string): Promise<void>;
  /** Redis errors and timeouts since start (both operations). */
  readonly failures: number;
}

export interface RedisDedupGuardOptions {
  redis: Redis;
  /** The consumer group: two groups consume the same event independently. */
  group: string;
  /** Default 8 days: the 7-day topic retention plus a day. */
  ttlSeconds?: number;
  /** Per operation, ms. Default 250. */
  timeoutMs?: number;
  /** Default `dailyfeed:inbox:`. */
  keyPrefix?: string;
  logger?: { warn(obj: object, msg?: string): void };
}

const DEFAULT_TTL_SECONDS = 8 * 24 * 3600;

export class RedisDedupGuard implements DedupGuard {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #timeoutMs: number;
  readonly #logger: RedisDedupGuardOptions['logger'];
  #failures = 0;
  #lastWarnAt = 0;

  constructor(options: RedisDedupGuardOptions) {
    if (!options.group) throw new Error('RedisDedupGuard: group is required');
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix ?? 'dailyfeed:inbox:'}${options.group}:`;
    this.#ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    this.#timeoutMs = options.timeoutMs ?? 250;
    this.#logger = options.logger;
  }

  get failures(): number {
    return this.#failures;
  }

  keyOf(eventId: string): string {
    return `${this.#prefix}${eventId}`;
  }

  async isDone(eventId: string): Promise<boolean> {
    try {
      return (await this.#bounded(this.#redis.exists(this.keyOf(eventId)))) === 1;
    } catch (error) {
      this.#failed(error, 'isDone');
      return false;
    }
  }

  async markDone(eventId: string): Promise<void> {
    try {
      // NX: the first mark wins; its TTL is not extended by a duplicate.
      await this.#bounded(this.#redis.set(this.keyOf(eventId), '1', 'EX', this.#ttl, 'NX'));
    } catch (error) {
      this.#failed(error, 'markDone');
    }
  }

  #bounded<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      timer.unref?.();
      operation.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #failed(error: unknown, operation: string): void {
    this.#failures += 1;
    const now = Date.now();
    if (now - this.#lastWarnAt > 60_000) {
      this.#lastWarnAt = now;
      this.#logger?.warn({ err: error, operation, failures: this.#failures }, 'dedup guard: redis unavailable, letting events through (the upsert keeps them single)');
    }
  }
}

/** A guard that never remembers anything (benchmarks, consumers without Redis). */
export const noDedupGuard: DedupGuard = { isDone: async () => false, markDone: async () => undefined, failures: 0 };

/**
 * Wraps a handler with the guard: skip when done, else handle (store) and only then mark.
 * Used by the listener and by the dead-letter retry alike, so both paths dedupe the same way.
 */
export function deduplicated<E extends { eventId: string }, M>(
  guard: DedupGuard,
  handle: (event: E, meta: M) => Promise<void>,
  onSkip?: (event: E) => void,
): (event: E, meta: M) => Promise<void> {
  return async (event, meta) => {
    if (await guard.isDone(event.eventId)) {
      onSkip?.(event);
      return;
    }
    await handle(event, meta);
    await guard.markDone(event.eventId);
  };
}
