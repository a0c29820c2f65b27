/**
 * The design's side jobs of an event, as an ordered list of processors. The activity log
 * comes first; blocklist checks, moderation and recommendation updates plug in after it
 * (buildApp's `extraProcessors`) without touching content-svc.
 *
 * Rules for a processor (the pipeline is at least once):
 * - idempotent: a redelivery (Redis down, crash before the commit) or a dead-letter retry
 *   runs EVERY processor of the event again, including those that had succeeded;
 * - throw to fail the record: it goes to the dead-letter store and is retried later as a
 *   whole; never swallow an error the retry could fix;
 * - fast: it runs inside the partition's loop (a slow one adds lag to the whole partition).
 */
import type { ActivityEvent, ActivityEventType } from '../../dailyfeed-shared/src/events/index.ts';
import type { RecordMeta } from '../../dailyfeed-shared/src/events/dated-topic-listener.ts';

export interface EventProcessor {
  /** For logs and errors, e.g. 'activity-log'. */
  name: string;
  /** The types it reacts to; every type when absent. */
  types?: readonly ActivityEventType[];
  process(event: ActivityEvent, meta: RecordMeta): Promise<void>;
}

export class ProcessorError extends Error {
  constructor(readonly processor: string, cause: unknown) {
    super(`processor '${processor}' failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ProcessorError';
  }
}

/** One handler running the processors of an event in order; the first failure fails the record. */
export function processorPipeline(processors: readonly EventProcessor[]): (event: ActivityEvent, meta: RecordMeta) => Promise<void> {
  const names = new Set<string>();
  for (const processor of processors) {
    if (names.has(processor.name)) throw new Error(`processor '${processor.name}' is listed twice`);
    names.add(processor.name);
  }
  return async (event, meta) => {
    for (const processor of processors) {
      if (processor.types && !processor.types.includes(event.type)) continue;
      try {
        await processor.process(event, meta);
      } catch (error) {
        throw new ProcessorError(processor.name, error);
      }
    }
  };
}
