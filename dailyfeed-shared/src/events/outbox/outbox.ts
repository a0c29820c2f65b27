/**
 * The transactional outbox: an event is inserted in the same database transaction as the
 * write it describes, so a write never fails because Kafka is down and an event is never
 * lost when the process dies between commit and publish. `OutboxRelay` publishes the rows.
 * Each owning service keeps the table in its own schema (DDL in README.md).
 */
import type { Pool, PoolClient } from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { advisoryLockKey } from '../../jobs/job-runner.ts';
import { currentRequestContext } from '../../http/request-context.ts';
import { recordKeyOf, type ActivityEvent } from '../event-types.ts';
import type { EventPublisher } from '../kafka-publisher.ts';

/** Anything with pg's `query`: a pool client inside a transaction. */
export interface SqlExecutor {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const tableOf = (schema: string) => {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${schema}`);
  return `"${schema}".outbox_events`;
};

/** Inserts events in the caller's transaction, in order. */
export async function enqueueEvents(tx: SqlExecutor, schema: string, events: ActivityEvent[]): Promise<void> {
  if (events.length === 0) return;
  const traceparent = currentRequestContext()?.traceparent ?? null;
  const values: unknown[] = [];
  const rows = events.map((event, index) => {
    values.push(event.eventId, recordKeyOf(event), event.type, JSON.stringify(event), traceparent);
    const base = index * 5;
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5})`;
  });
  await tx.query(`INSERT INTO ${tableOf(schema)} (event_id, record_key, event_type, payload, traceparent) VALUES ${rows.join(', ')}`, values);
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
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastPrune = 0;

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

  /** Publish now (right after a commit); coalesces with a run in progress. */
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
    while (this.#running) await this.#running.catch(() => undefined);
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const published = await this.#relayBatch();
        if (published < this.#options.batchSize) break;
      }
      if (Date.now() - this.#lastPrune > 60_000) await this.#prune();
    } catch (error) {
      this.#options.logger.error({ err: error, schema: this.#options.schema }, 'outbox relay run failed');
    }
  }

  /** One batch under the lock; returns how many rows were published (0 when locked elsewhere). */
  async #relayBatch(): Promise<number> {
    const client = await this.#options.pool.connect();
    try {
      await client.query('BEGIN');
      const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [this.#lockKey]);
      if (!locked.rows[0]?.locked) {
        await client.query('COMMIT');
        return 0;
      }
      const rows = await this.#claim(client);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
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
        this.#options.logger.warn({ err: error, rows: rows.length, attempts, backoffMs }, 'outbox publish failed; will retry');
        return 0;
      }
      await client.query(`UPDATE ${this.#table} SET published_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  #claim(client: PoolClient): Promise<ClaimedRow[]> {
    return client
      .query<ClaimedRow>(
        `SELECT o.id::text AS id, o.payload, o.traceparent, o.attempts
           FROM ${this.#table} o
          WHERE o.published_at IS NULL
            AND o.next_attempt_at <= now()
            AND NOT EXISTS (
                  SELECT 1 FROM ${this.#table} e
                   WHERE e.record_key = o.record_key AND e.published_at IS NULL
                     AND e.id < o.id AND e.next_attempt_at > now())
          ORDER BY o.id
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [this.#options.batchSize],
      )
      .then((result) => result.rows);
  }

  async #prune(): Promise<void> {
    this.#lastPrune = Date.now();
    await this.#options.pool.query(
      `DELETE FROM ${this.#table} WHERE published_at IS NOT NULL AND published_at < now() - ($1::int * interval '1 millisecond')`,
      [this.#options.retentionMs],
    );
  }

  #registerMetrics(registry: Registry): void {
    const pool = this.#options.pool;
    const table = this.#table;
    let last = { backlog: 0, age: 0 };
    const refresh = async () => {
      const result = await pool.query<{ backlog: string; age: number | null }>(
        `SELECT count(*)::text AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM ${table} WHERE published_at IS NULL`,
      );
      last = { backlog: Number(result.rows[0]?.backlog ?? 0), age: result.rows[0]?.age ?? 0 };
    };
    new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox events not yet published',
      registers: [registry],
      async collect() {
        await refresh().catch(() => undefined);
        this.set(last.backlog);
      },
    });
    new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox event',
      registers: [registry],
      collect() {
        this.set(last.age);
      },
    });
  }
}
