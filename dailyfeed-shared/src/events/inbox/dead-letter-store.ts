/**
 * The listener dead-letter store (events.md, "Consumers"): records the listener could not
 * process, kept in the consuming service's own schema (DDL in README.md / dead-letters.sql),
 * so a poison record never blocks its partition and nothing is dropped silently.
 *
 * Rows: pending (the retry job takes them when `next_attempt_at` is due) -> resolved, or
 * parked after the last allowed attempt (or at once for a permanent error such as a record
 * that is not a valid event). Parked rows wait for an operator (`requeueParked`).
 * One row per (consumer_group, topic, partition, offset): a record dead-lettered again after
 * a crash before its offset was committed keeps its first row.
 */
import type { Pool } from 'pg';
import { EventDecodeError } from '../errors.ts';
import type { ListenerFailure } from '../dated-topic-listener.ts';

export type DeadLetterStatus = 'pending' | 'parked' | 'resolved';

export interface DeadLetter {
  id: string;
  consumerGroup: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  eventId: string | null;
  error: string;
  attempts: number;
  nextAttemptAt: Date | null;
  status: DeadLetterStatus;
  createdAt: Date;
  updatedAt: Date;
}

export interface BackoffPolicy {
  /** Failed attempts (the listener's included) after which a record is parked. Default 8. */
  maxAttempts: number;
  /** Delay before the first retry, ms; doubles per attempt. Default 5 s. */
  baseDelayMs: number;
  /** Upper bound of one delay, ms. Default 15 min. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { maxAttempts: 8, baseDelayMs: 5_000, maxDelayMs: 15 * 60_000 };

/** Delay after `failedAttempts` failures: base * 2^(n-1), capped, with +-20% jitter. */
export function backoffDelayMs(failedAttempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.max(0, Math.round(capped * (0.8 + 0.4 * random())));
}

/** Errors no retry can fix: the record itself is malformed. Parked at once. */
export const isPermanentFailure = (error: unknown): boolean => error instanceof EventDecodeError;

export interface PgDeadLetterStoreOptions {
  pool: Pool;
  /** Schema-qualified table, e.g. `activity.dead_letters`. */
  table: string;
  backoff?: Partial<BackoffPolicy>;
  isPermanent?: (error: unknown) => boolean;
  now?: () => Date;
}

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
const MAX_ERROR_LENGTH = 4_000;

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const text = `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
    return (text + cause).slice(0, MAX_ERROR_LENGTH);
  }
  return String(error).slice(0, MAX_ERROR_LENGTH);
}

interface Row {
  id: string;
  consumer_group: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string> | null;
  event_id: string | null;
  error: string;
  attempts: number;
  next_attempt_at: Date | null;
  status: DeadLetterStatus;
  created_at: Date;
  updated_at: Date;
}

const toDeadLetter = (row: Row): DeadLetter => ({
  id: String(row.id),
  consumerGroup: row.consumer_group,
  topic: row.topic,
  partition: row.partition,
  offset: String(row.offset),
  key: row.key,
  value: row.value,
  headers: row.headers ?? {},
  eventId: row.event_id,
  error: row.error,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  status: row.status,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class PgDeadLetterStore {
  readonly pool: Pool;
  readonly table: string;
  readonly backoff: BackoffPolicy;
  readonly #isPermanent: (error: unknown) => boolean;
  readonly #now: () => Date;

  constructor(options: PgDeadLetterStoreOptions) {
    if (!IDENT.test(options.table)) throw new Error(`PgDeadLetterStore: table must be [schema.]name in lower snake case, got ${JSON.stringify(options.table)}`);
    this.pool = options.pool;
    this.table = options.table;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    if (!(this.backoff.maxAttempts >= 1)) throw new Error('PgDeadLetterStore: backoff.maxAttempts must be >= 1');
    this.#isPermanent = options.isPermanent ?? isPermanentFailure;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Keeps a record the listener failed on (its `onFailure`). Throws when PostgreSQL does:
   * the listener then retries the batch instead of skipping the record.
   */
  async store(group: string, failure: ListenerFailure): Promise<DeadLetter | null> {
    const permanent = this.#isPermanent(failure.error) || this.backoff.maxAttempts <= 1;
    const next = permanent ? null : new Date(this.#now().getTime() + backoffDelayMs(1, this.backoff));
    const eventId = failure.event?.eventId ?? failure.headers.eventId ?? null;
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO ${this.table}
         (consumer_group, topic, partition, "offset", key, value, headers, event_id, error, attempts, next_attempt_at, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $12)
       ON CONFLICT (consumer_group, topic, partition, "offset") DO NOTHING
       RETURNING *`,
      [
        group,
        failure.topic,
        failure.partition,
        failure.offset,
        failure.key,
        failure.value,
        JSON.stringify(failure.headers ?? {}),
        eventId ? eventId.slice(0, 64) : null,
        describeError(failure.error),
        next,
        permanent ? 'parked' : 'pending',
        this.#now(),
      ],
    );
    return rows[0] ? toDeadLetter(rows[0]) : null;
  }

  /**
   * Takes up to `limit` due pending rows of the group and leases them for `leaseMs`
   * (next_attempt_at moves ahead), so a second runner, or this one after a crash, sees them
   * again only when the lease ran out. Atomic: FOR UPDATE SKIP LOCKED in one statement.
   */
  async claimDue(group: string, limit: number, leaseMs = 60_000): Promise<DeadLetter[]> {
    const now = this.#now();
    const { rows } = await this.pool.query<Row>(
      `UPDATE ${this.table} SET next_attempt_at = $3, updated_at = $4
        WHERE id IN (SELECT id FROM ${this.table}
                      WHERE consumer_group = $1 AND status = 'pending' AND next_attempt_at <= $4
                      ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [group, limit, new Date(now.getTime() + leaseMs), now],
    );
    return rows.map(toDeadLetter).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  async markResolved(id: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.table} SET status = 'resolved', next_attempt_at = NULL, updated_at = $2 WHERE id = $1`, [id, this.#now()]);
  }

  /** One more failed attempt: back to pending with a longer delay, or parked after the last one. */
  async markFailed(letter: DeadLetter, error: unknown): Promise<DeadLetterStatus> {
    const attempts = letter.attempts + 1;
    const park = attempts >= this.backoff.maxAttempts || this.#isPermanent(error);
    const now = this.#now();
    const next = park ? null : new Date(now.getTime() + backoffDelayMs(attempts, this.backoff));
    const status: DeadLetterStatus = park ? 'parked' : 'pending';
    await this.pool.query(
      `UPDATE ${this.table} SET attempts = $2, error = $3, status = $4, next_attempt_at = $5, updated_at = $6 WHERE id = $1`,
      [letter.id, attempts, describeError(error), status, next, now],
    );
    return status;
  }

  /** Parked rows (all of the group's, or the given ids) back to pending, due now, attempts reset. */
  async requeueParked(group: string, ids?: string[]): Promise<number> {
    const now = this.#now();
    const result = await this.pool.query(
      `UPDATE ${this.table} SET status = 'pending', attempts = 0, next_attempt_at = $2, updated_at = $2
        WHERE consumer_group = $1 AND status = 'parked' AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))`,
      [group, now, ids ?? null],
    );
    return result.rowCount ?? 0;
  }

  async counts(group: string): Promise<{ pending: number; parked: number }> {
    const { rows } = await this.pool.query<{ status: DeadLetterStatus; n: string }>(
      `SELECT status, count(*) AS n FROM ${this.table} WHERE consumer_group = $1 AND status IN ('pending', 'parked') GROUP BY status`,
      [group],
    );
    const of = (status: DeadLetterStatus) => Number(rows.find((row) => row.status === status)?.n ?? 0);
    return { pending: of('pending'), parked: of('parked') };
  }

  async list(group: string, status?: DeadLetterStatus): Promise<DeadLetter[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM ${this.table} WHERE consumer_group = $1 AND ($2::text IS NULL OR status = $2) ORDER BY id`,
      [group, status ?? null],
    );
    return rows.map(toDeadLetter);
  }

  /** Deletes resolved rows older than `olderThanMs` (housekeeping). */
  async purgeResolved(group: string, olderThanMs: number): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM ${this.table} WHERE consumer_group = $1 AND status = 'resolved' AND updated_at < $2`,
      [group, new Date(this.#now().getTime() - olderThanMs)],
    );
    return result.rowCount ?? 0;
  }
}
