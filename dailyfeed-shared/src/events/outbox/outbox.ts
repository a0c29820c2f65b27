/**
 * The transactional outbox: an event is inserted in the same database transaction as the
 * write it describes, so a write never fails because Kafka is down and an event is never
 * lost when the process dies between commit and publish. `OutboxRelay` publishes the rows.
 * Each owning service keeps the table in its own schema (DDL in README.md).
 */
import type { Pool, PoolClient } from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import { advisoryLockKey } from '../../jobs/job-runner.ts';
import { currentRequestContext } from '../../http/request-context.ts';
import { recordKeyOf, type ActivityEvent } from '../event-types.ts';
import type { EventPublisher } from '../kafka-publisher.ts';

/** pg's client (or pool) inside a transaction: `query(sql, values)`. */
export interface SqlExecutor {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}
/** A Prisma interactive-transaction client (`prisma.$transaction(async (tx) => ...)`). */
export interface PrismaRawExecutor {
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<unknown>;
}
export type OutboxSqlExecutor = SqlExecutor | PrismaRawExecutor;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const tableOf = (schema: string) => {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${schema}`);
  return `"${schema}".outbox_events`;
};

/**
 * Inserts events in the caller's transaction, in order (ascending ids: the relay's order
 * per entity). Call it after the write has locked the entity's row, so two transactions on
 * one entity insert their events in commit order.
 */
export async function enqueueEvents(tx: OutboxSqlExecutor, schema: string, events: readonly ActivityEvent[]): Promise<void> {
  if (events.length === 0) return;
  const traceparent = currentRequestContext()?.traceparent ?? null;
  const values: unknown[] = [];
  const rows = events.map((event, index) => {
    values.push(event.eventId, recordKeyOf(event), event.type, JSON.stringify(event), traceparent);
    const base = index * 5;
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}::jsonb, $${base + 5})`;
  });
  const sql = `INSERT INTO ${tableOf(schema)} (event_id, record_key, event_type, payload, traceparent) VALUES ${rows.join(', ')}`;
  if ('query' in tx && typeof tx.query === 'function') await tx.query(sql, values);
  else await (tx as PrismaRawExecutor).$executeRawUnsafe(sql, ...values);
}

interface RelayLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  pool: Pool;
  schema: string;
  publisher: EventPublisher;
  logger: RelayLogger;
  registry?: Registry;
  batchSize?: number;
  /** Safety-net poll for rows a nudge missed (another replica's, failed ones in backoff). */
  pollIntervalMs?: number;
  /** Published rows are deleted after this long. */
  retentionMs?: number;
  maxBackoffMs?: number;
}

const RETRY_WHEN_LOCKED_MS = 100;

interface ClaimedRow {
  id: string;
  payload: ActivityEvent;
  traceparent: string | null;
  attempts: number;
}

/**
 * Publishes outbox rows in id order, one replica at a time (a transaction-level advisory
 * lock per schema), and never a later event of an entity before an earlier unpublished
 * one: a row waits while an older row of the same record key is in backoff. A failed
 * publish leaves the rows for a retry with exponential backoff; a publish that timed out
 * but landed is published again, which consumers absorb (same eventId).
 */
export class OutboxRelay {
  readonly #options: Required<Omit<OutboxRelayOptions, 'registry'>> & { registry?: Registry };
  readonly #table: string;
  readonly #lockKey: string;
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastPrune = 0;
  #failedSinceSuccess = false;
  #published: Counter | undefined;
  #failures: Counter | undefined;

  constructor(options: OutboxRelayOptions) {
    this.#options = { batchSize: 500, pollIntervalMs: 1_000, retentionMs: 3_600_000, maxBackoffMs: 30_000, ...options };
    this.#table = tableOf(options.schema);
    this.#lockKey = advisoryLockKey(`outbox:${options.schema}`);
    if (options.registry) this.#registerMetrics(options.registry);
  }

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.nudge(), this.#options.pollIntervalMs);
    this.#timer.unref();
    this.nudge();
  }

  /** Publish now (right after a commit); a nudge during a run coalesces into one more run. */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.nudge();
      }
    });
  }

  /** Runs until nothing publishable is left (or a publish fails); for tests and shutdown. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    await this.#drain();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    while (this.#running) await this.#running.catch(() => undefined);
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const { published, more, lockedElsewhere } = await this.#relayBatch();
        if (lockedElsewhere) this.#retrySoon();
        if (!more && published < this.#options.batchSize) break;
      }
      if (Date.now() - this.#lastPrune > 60_000) await this.prune();
    } catch (error) {
      this.#options.logger.error({ err: error, schema: this.#options.schema }, 'outbox relay run failed');
    }
  }

  /**
   * Another replica holds the lock: it may have claimed its batch before this replica's rows
   * were committed, so look again shortly instead of waiting for the poll.
   */
  #retrySoon(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.nudge();
    }, RETRY_WHEN_LOCKED_MS);
    this.#retryTimer.unref();
  }

  /**
   * One batch under the lock: how many rows were published (0 when locked elsewhere or on
   * failure), and whether rows in backoff were just made due (the broker is back).
   */
  async #relayBatch(): Promise<{ published: number; more: boolean; lockedElsewhere?: boolean }> {
    const none = { published: 0, more: false };
    const client = await this.#options.pool.connect();
    try {
      await client.query('BEGIN');
      const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [this.#lockKey]);
      if (!locked.rows[0]?.locked) {
        await client.query('COMMIT');
        return { ...none, lockedElsewhere: true };
      }
      const rows = await this.#claim(client);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return none;
      }
      const ids = rows.map((row) => row.id);
      try {
        const traceparents = new Map(rows.map((row) => [row.payload.eventId, row.traceparent]));
        await this.#options.publisher.publish(
          rows.map((row) => row.payload),
          { traceparentOf: (event) => traceparents.get(event.eventId) ?? undefined },
        );
      } catch (error) {
        const attempts = Math.max(...rows.map((row) => row.attempts)) + 1;
        const backoffMs = Math.min(this.#options.maxBackoffMs, 250 * 2 ** Math.min(attempts - 1, 10));
        await client.query(
          `UPDATE ${this.#table} SET attempts = attempts + 1, next_attempt_at = now() + ($2::int * interval '1 millisecond'), last_error = $3 WHERE id = ANY($1::bigint[])`,
          [ids, backoffMs, String((error as Error).message).slice(0, 500)],
        );
        await client.query('COMMIT');
        this.#failedSinceSuccess = true;
        this.#failures?.inc(rows.length);
        this.#options.logger.warn({ err: error, rows: rows.length, attempts, backoffMs }, 'outbox publish failed; will retry');
        return none;
      }
      await client.query(`UPDATE ${this.#table} SET published_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
      // A retried row went out, or this relay failed since its last success: the broker is
      // back, so nothing waits out the rest of its backoff.
      let more = false;
      if (this.#failedSinceSuccess || rows.some((row) => row.attempts > 0)) {
        const due = await client.query(
          `UPDATE ${this.#table} SET next_attempt_at = now() WHERE published_at IS NULL AND next_attempt_at > now()`,
        );
        more = (due.rowCount ?? 0) > 0;
      }
      await client.query('COMMIT');
      this.#failedSinceSuccess = false;
      this.#published?.inc(rows.length);
      return { published: rows.length, more };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Due rows in id order, minus those behind an earlier row of their key in backoff. The
   * millisecond of slack: the column keeps milliseconds, so a row stamped now() may be
   * rounded up past the next statement's now().
   */
  #claim(client: PoolClient): Promise<ClaimedRow[]> {
    return client
      .query<ClaimedRow>(
        `SELECT o.id::text AS id, o.payload, o.traceparent, o.attempts
           FROM ${this.#table} o
          WHERE o.published_at IS NULL
            AND o.next_attempt_at <= now() + interval '1 millisecond'
            AND NOT EXISTS (
                  SELECT 1 FROM ${this.#table} e
                   WHERE e.record_key = o.record_key AND e.published_at IS NULL
                     AND e.id < o.id AND e.next_attempt_at > now() + interval '1 millisecond')
          ORDER BY o.id
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [this.#options.batchSize],
      )
      .then((result) => result.rows);
  }

  /** Deletes published rows older than the retention (the relay runs it once a minute); returns how many. */
  async prune(): Promise<number> {
    this.#lastPrune = Date.now();
    const result = await this.#options.pool.query(
      `DELETE FROM ${this.#table} WHERE published_at IS NOT NULL AND published_at < now() - ($1::int * interval '1 millisecond')`,
      [this.#options.retentionMs],
    );
    return result.rowCount ?? 0;
  }

  #registerMetrics(registry: Registry): void {
    const pool = this.#options.pool;
    const table = this.#table;
    let last = { backlog: 0, age: 0 };
    // One query per scrape for both gauges (prom-client collects them concurrently).
    let inflight: Promise<void> | null = null;
    const refresh = () =>
      (inflight ??= pool
        .query<{ backlog: string; age: number | null }>(
          `SELECT count(*)::text AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM ${table} WHERE published_at IS NULL`,
        )
        .then((result) => {
          last = { backlog: Number(result.rows[0]?.backlog ?? 0), age: result.rows[0]?.age ?? 0 };
        })
        .catch(() => undefined) // a scrape during a database outage shows the last values
        .finally(() => {
          inflight = null;
        }));
    this.#published = new Counter({ name: 'outbox_published_total', help: 'Outbox events published', registers: [registry] });
    this.#failures = new Counter({ name: 'outbox_publish_failures_total', help: 'Outbox event publish attempts that failed', registers: [registry] });
    new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox events not yet published',
      registers: [registry],
      async collect() {
        await refresh();
        this.set(last.backlog);
      },
    });
    new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age in seconds of the oldest unpublished outbox event (0 when none)',
      registers: [registry],
      async collect() {
        await refresh();
        this.set(last.age);
      },
    });
  }
}
