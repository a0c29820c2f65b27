/**
 * Periodic jobs that must run on one replica at a time, and start-up steps two replicas may race on.
 *
 * Both use PostgreSQL SESSION-level advisory locks held on a DEDICATED pool client: the lock
 * belongs to that connection, so the same client runs lock, (job), unlock, and the unlock is in
 * `finally`. If the connection dies, PostgreSQL releases the lock with the session; the client
 * is then released to the pool as broken (destroyed), never reused while possibly still locked.
 * Consequences worth knowing:
 * - each running job holds one pool connection for its whole run, besides the ones `run()` uses:
 *   size the pool for it (a pool of 1 would deadlock a job that queries through the pool);
 * - if the lock connection drops mid-run, another replica may start the same job before this
 *   run ends: jobs must be idempotent (they should be anyway);
 * - never take these locks inside a transaction-pooling proxy (pgbouncer transaction mode).
 *
 * The 64-bit lock key is the first 8 bytes of SHA-256('dailyfeed:' + name), so names are the
 * only coordination needed between services.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

export interface JobLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface JobDefinition {
  /** Unique per job across all services, e.g. 'content.outbox-sweep'. */
  name: string;
  everyMs: number;
  /** Gets a signal aborted by stop(): long jobs should finish early when it fires. */
  run: (context: { signal: AbortSignal }) => Promise<void> | void;
  /** First tick right away instead of after everyMs. */
  runOnStart?: boolean;
}

export type TickResult = 'ran' | 'failed' | 'locked-elsewhere' | 'busy' | 'stopped';

export interface JobRunner {
  schedule(job: JobDefinition): void;
  /** Runs one tick of a scheduled job now (same lock and overlap rules). */
  tick(name: string): Promise<TickResult>;
  /** No more ticks; waits for running jobs to finish. */
  stop(): Promise<void>;
}

/** The advisory lock key of a name, as a decimal string for `$1::bigint`. */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(`dailyfeed:${name}`).digest().readBigInt64BE(0).toString();
}

interface JobState {
  job: JobDefinition;
  key: string;
  timer: NodeJS.Timeout | undefined;
  running: Promise<TickResult> | undefined;
}

export function createJobRunner({ pool, logger }: { pool: Pool; logger: JobLogger }): JobRunner {
  const jobs = new Map<string, JobState>();
  const abort = new AbortController();
  let stopped = false;

  async function runLocked(state: JobState): Promise<TickResult> {
    const { job, key } = state;
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      logger.error({ err: error, job: job.name }, 'job: no database connection for the lock');
      return 'failed';
    }
    let broken: Error | undefined;
    const onClientError = (error: Error) => {
      broken = error;
      logger.warn({ err: error, job: job.name }, 'job: lock connection failed (the lock is released with it)');
    };
    client.on('error', onClientError);
    let locked = false;
    try {
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
      locked = result.rows[0]?.locked === true;
      if (!locked) {
        logger.debug?.({ job: job.name }, 'job: running on another replica, skipped');
        return 'locked-elsewhere';
      }
      const started = Date.now();
      try {
        await job.run({ signal: abort.signal });
        logger.debug?.({ job: job.name, ms: Date.now() - started }, 'job: done');
        return 'ran';
      } catch (error) {
        logger.error({ err: error, job: job.name, ms: Date.now() - started }, 'job: failed');
        return 'failed';
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      logger.error({ err: error, job: job.name }, 'job: advisory lock query failed');
      return 'failed';
    } finally {
      if (locked && !broken) {
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
        } catch (error) {
          broken = error instanceof Error ? error : new Error(String(error));
          logger.warn({ err: error, job: job.name }, 'job: unlock failed, dropping the connection');
        }
      }
      client.off('error', onClientError);
      client.release(broken);
    }
  }

  function tickState(state: JobState): Promise<TickResult> {
    if (stopped) return Promise.resolve('stopped');
    if (state.running) return Promise.resolve('busy'); // no overlap within one process
    const running = runLocked(state).finally(() => {
      state.running = undefined;
    });
    state.running = running;
    return running;
  }

  function arm(state: JobState, delayMs: number): void {
    if (stopped) return;
    state.timer = setTimeout(() => {
      const started = Date.now();
      void tickState(state).finally(() => arm(state, Math.max(0, state.job.everyMs - (Date.now() - started))));
    }, delayMs);
    state.timer.unref();
  }

  return {
    schedule(job) {
      if (stopped) throw new Error('job runner is stopped');
      if (!job.name) throw new Error('job name is required');
      if (!(job.everyMs > 0)) throw new Error(`job '${job.name}': everyMs must be > 0`);
      if (jobs.has(job.name)) throw new Error(`job '${job.name}' is already scheduled`);
      const state: JobState = { job, key: advisoryLockKey(job.name), timer: undefined, running: undefined };
      jobs.set(job.name, state);
      arm(state, job.runOnStart ? 0 : job.everyMs);
    },
    tick(name) {
      const state = jobs.get(name);
      if (!state) return Promise.reject(new Error(`job '${name}' is not scheduled`));
      return tickState(state);
    },
    async stop() {
      stopped = true;
      abort.abort();
      for (const state of jobs.values()) clearTimeout(state.timer);
      await Promise.all([...jobs.values()].map((state) => state.running));
    },
  };
}

/**
 * Runs `fn` while holding the blocking session-level advisory lock of `name` on a dedicated
 * connection, e.g. the first signing key, topic creation, bucket creation at start-up.
 * A second caller (another replica) waits, then runs `fn` after the first is done, so `fn`
 * must check whether the work is already done. Waits at most `lockTimeoutMs` (default 60 s)
 * for the lock, then throws (PostgreSQL "lock timeout").
 */
export async function withAdvisoryLock<T>(
  pool: Pool,
  name: string,
  fn: () => Promise<T> | T,
  options: { lockTimeoutMs?: number } = {},
): Promise<T> {
  const key = advisoryLockKey(name);
  const client = await pool.connect();
  let broken: Error | undefined;
  const onClientError = (error: Error) => {
    broken = error;
  };
  client.on('error', onClientError);
  let locked = false;
  try {
    await client.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.max(0, Math.floor(options.lockTimeoutMs ?? 60_000))}ms`]);
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    locked = true;
    return await fn();
  } finally {
    if (!broken) {
      try {
        if (locked) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
        await client.query('RESET lock_timeout');
      } catch (error) {
        broken = error instanceof Error ? error : new Error(String(error));
      }
    }
    client.off('error', onClientError);
    client.release(broken);
  }
}
