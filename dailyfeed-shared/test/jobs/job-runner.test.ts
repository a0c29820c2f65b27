import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { advisoryLockKey, createJobRunner, withAdvisoryLock, type JobLogger } from '../../src/jobs/job-runner.ts';

// ---- PostgreSQL probe: needs PG_TEST_URL, otherwise skipped (not passed).
const PG_TEST_URL = process.env.PG_TEST_URL;
async function probePg(): Promise<string | null> {
  if (!PG_TEST_URL) return 'PG_TEST_URL is not set';
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at PG_TEST_URL unreachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
const pgSkipReason = await probePg();
if (pgSkipReason) console.warn(`[job-runner.test] SKIPPING: ${pgSkipReason}`);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function recordingLogger() {
  const errors: Array<{ obj: object; msg: string }> = [];
  const logger: JobLogger = {
    info: () => undefined,
    warn: () => undefined,
    debug: () => undefined,
    error: (obj, msg) => void errors.push({ obj, msg }),
  };
  return { logger, errors };
}

describe('advisoryLockKey', () => {
  it('is a stable signed 64-bit decimal per name', () => {
    const key = advisoryLockKey('content.outbox-sweep');
    expect(key).toBe(advisoryLockKey('content.outbox-sweep'));
    expect(key).not.toBe(advisoryLockKey('content.other'));
    const n = BigInt(key);
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});

describe.skipIf(pgSkipReason !== null)('job runner on PostgreSQL', () => {
  // Two pools = two replicas.
  const poolA = new pg.Pool({ connectionString: PG_TEST_URL, max: 3 });
  const poolB = new pg.Pool({ connectionString: PG_TEST_URL, max: 3 });
  afterAll(async () => {
    await poolA.end();
    await poolB.end();
  });

  it('two runners on the same job name never run it at the same time', async () => {
    const name = `test.exclusive.${process.pid}.${Date.now()}`;
    let concurrent = 0;
    let maxConcurrent = 0;
    const runsBy = { A: 0, B: 0 };
    const job = (who: 'A' | 'B') => ({
      name,
      everyMs: 15,
      runOnStart: true,
      run: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runsBy[who]++;
        await sleep(40);
        concurrent--;
      },
    });
    const a = createJobRunner({ pool: poolA, logger: recordingLogger().logger });
    const b = createJobRunner({ pool: poolB, logger: recordingLogger().logger });
    a.schedule(job('A'));
    b.schedule(job('B'));
    await sleep(1_200);
    await Promise.all([a.stop(), b.stop()]);
    expect(maxConcurrent).toBe(1);
    expect(runsBy.A + runsBy.B).toBeGreaterThanOrEqual(8);
    expect(concurrent).toBe(0);
  });

  it('tick reports locked-elsewhere while another replica holds the lock, busy on overlap, and unlocks after', async () => {
    const name = `test.tick.${process.pid}.${Date.now()}`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = createJobRunner({ pool: poolA, logger: recordingLogger().logger });
    const b = createJobRunner({ pool: poolB, logger: recordingLogger().logger });
    a.schedule({ name, everyMs: 60_000, run: () => gate });
    let bRuns = 0;
    b.schedule({ name, everyMs: 60_000, run: () => void bRuns++ });
    const first = a.tick(name);
    await sleep(100);
    expect(await a.tick(name)).toBe('busy');
    expect(await b.tick(name)).toBe('locked-elsewhere');
    release();
    expect(await first).toBe('ran');
    expect(await b.tick(name)).toBe('ran');
    expect(bRuns).toBe(1);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a failing job is logged, not thrown, and releases its lock; stop() waits for a running job', async () => {
    const name = `test.fail.${process.pid}.${Date.now()}`;
    const { logger, errors } = recordingLogger();
    const a = createJobRunner({ pool: poolA, logger });
    a.schedule({ name, everyMs: 60_000, run: () => Promise.reject(new Error('boom')) });
    expect(await a.tick(name)).toBe('failed');
    expect(errors.some((e) => e.msg === 'job: failed')).toBe(true);
    const b = createJobRunner({ pool: poolB, logger: recordingLogger().logger });
    let finished = false;
    b.schedule({
      name,
      everyMs: 60_000,
      run: async ({ signal }) => {
        await sleep(150);
        finished = signal.aborted; // it saw stop()'s signal and still completed
      },
    });
    const running = b.tick(name);
    await sleep(20);
    await b.stop();
    expect(finished).toBe(true);
    expect(await running).toBe('ran');
    expect(await b.tick(name)).toBe('stopped');
    await a.stop();
    expect(poolA.totalCount - poolA.idleCount).toBe(0); // no client left checked out
  });

  it('withAdvisoryLock serialises two racing callers', async () => {
    const name = `test.startup.${process.pid}.${Date.now()}`;
    const events: string[] = [];
    let inside = 0;
    let maxInside = 0;
    const step = (who: string) => async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      events.push(`${who}:start`);
      await sleep(100);
      events.push(`${who}:end`);
      inside--;
      return who;
    };
    const results = await Promise.all([withAdvisoryLock(poolA, name, step('A')), withAdvisoryLock(poolB, name, step('B'))]);
    expect(results.sort()).toEqual(['A', 'B']);
    expect(maxInside).toBe(1);
    expect(events[0]!.split(':')[0]).toBe(events[1]!.split(':')[0]); // first finished before second started
    // the lock is free again and lock_timeout was reset on the pooled connections
    const check = await poolA.query<{ t: string }>('SHOW lock_timeout');
    expect(check.rows[0]!.t ?? Object.values(check.rows[0]!)[0]).toBe('0');
  });

  it('withAdvisoryLock gives up after lockTimeoutMs and rethrows errors of fn after unlocking', async () => {
    const name = `test.timeout.${process.pid}.${Date.now()}`;
    let release!: () => void;
    const holding = withAdvisoryLock(poolA, name, () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(50);
    await expect(withAdvisoryLock(poolB, name, () => 'never', { lockTimeoutMs: 100 })).rejects.toThrow(/lock timeout/);
    release();
    await holding;
    await expect(withAdvisoryLock(poolB, name, () => Promise.reject(new Error('step failed')))).rejects.toThrow('step failed');
    expect(await withAdvisoryLock(poolA, name, () => 'free')).toBe('free');
  });
});
