/**
 * The retry job of listener dead letters: takes due pending rows of one consumer group,
 * decodes them again and runs the same handler the listener runs (deduplicated, idempotent),
 * then marks each resolved, or failed again (exponential backoff), or parked after the last
 * allowed attempt. Run it in one replica through the job runner (src/jobs, advisory lock);
 * the row lease of `claimDue` keeps it correct even if two runs overlap.
 */
import type { JobDefinition } from '../../jobs/job-runner.ts';
import { runWithRequestContext, childTraceparent } from '../../http/request-context.ts';
import { decodeEventValue, type ActivityEvent } from '../event-types.ts';
import type { RecordMeta } from '../dated-topic-listener.ts';
import type { DeadLetter, PgDeadLetterStore } from './dead-letter-store.ts';

export interface DeadLetterRetryOptions {
  store: PgDeadLetterStore;
  group: string;
  handle(event: ActivityEvent, meta: RecordMeta): Promise<void>;
  /** Rows per claim. Default 100. */
  batchSize?: number;
  /** A claimed row is invisible to other runs this long, ms. Default 60 s. */
  leaseMs?: number;
  /** Resolved rows older than this are deleted at the end of a run, ms. Default 7 days; 0 keeps them. */
  purgeResolvedAfterMs?: number;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

export interface RetryOutcome {
  resolved: number;
  retryLater: number;
  parked: number;
}

export interface DeadLetterRetry {
  /** Processes what is due now (one claim after another until none is due or `signal` aborts). */
  runOnce(signal?: AbortSignal): Promise<RetryOutcome>;
  /** A job for createJobRunner().schedule(); `name` must be unique across services. */
  job(name: string, everyMs: number): JobDefinition;
}

const metaOf = (letter: DeadLetter): RecordMeta => ({
  topic: letter.topic,
  partition: letter.partition,
  offset: letter.offset,
  key: letter.key,
  headers: letter.headers,
  timestamp: String(letter.createdAt.getTime()),
});

export function createDeadLetterRetry(options: DeadLetterRetryOptions): DeadLetterRetry {
  const { store, group, handle, logger } = options;
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 60_000;
  const purgeAfterMs = options.purgeResolvedAfterMs ?? 7 * 86_400_000;

  async function retryOne(letter: DeadLetter): Promise<'resolved' | 'pending' | 'parked'> {
    const meta = metaOf(letter);
    try {
      const event = decodeEventValue(letter.value);
      const context = { requestId: event.eventId, traceparent: childTraceparent(meta.headers.traceparent) };
      await runWithRequestContext(context, () => handle(event, meta));
    } catch (error) {
      const status = await store.markFailed(letter, error);
      logger?.warn({ err: error, deadLetterId: letter.id, attempts: letter.attempts + 1, status, group }, 'dead letter retry failed');
      return status;
    }
    await store.markResolved(letter.id);
    return 'resolved';
  }

  async function runOnce(signal?: AbortSignal): Promise<RetryOutcome> {
    const outcome: RetryOutcome = { resolved: 0, retryLater: 0, parked: 0 };
    while (!signal?.aborted) {
      const letters = await store.claimDue(group, batchSize, leaseMs);
      for (const letter of letters) {
        if (signal?.aborted) break; // the lease runs out; the next run takes the rest
        const status = await retryOne(letter);
        if (status === 'resolved') outcome.resolved += 1;
        else if (status === 'parked') outcome.parked += 1;
        else outcome.retryLater += 1;
      }
      if (letters.length < batchSize) break;
    }
    if (purgeAfterMs > 0 && !signal?.aborted) await store.purgeResolved(group, purgeAfterMs);
    if (outcome.resolved + outcome.retryLater + outcome.parked > 0) logger?.info({ group, ...outcome }, 'dead letters retried');
    return outcome;
  }

  return {
    runOnce,
    job: (name, everyMs) => ({ name, everyMs, run: async ({ signal }) => void (await runOnce(signal)) }),
  };
}
