/**
 * Topic housekeeping (events.md, "Topics"): deleting the dated topics older than the
 * retention has exactly ONE owner, this job of activity-svc. The job runner
 * (dailyfeed-shared/src/jobs) runs it under a PostgreSQL advisory lock, so with N replicas
 * one of them deletes and the others skip the tick. Producers create their topics themselves,
 * so activity-svc being down only delays deletions, never a publish.
 * The lock name carries the topic prefix: a test run's housekeeping never waits for (or
 * touches the topics of) a running stack.
 */
import type { JobDefinition } from '../../dailyfeed-shared/src/jobs/job-runner.ts';
import type { DatedTopicAdmin } from '../../dailyfeed-shared/src/events/topic-admin.ts';
import type { Clock } from '../../dailyfeed-shared/src/events/clock.ts';

export const housekeepingJobName = (prefix: string): string => (prefix ? `activity.topic-housekeeping:${prefix}` : 'activity.topic-housekeeping');

export function topicHousekeepingJob(options: {
  admin: DatedTopicAdmin;
  prefix: string;
  retentionDays: number;
  everyMs: number;
  clock: Clock;
  logger?: { info(obj: object, msg?: string): void };
}): JobDefinition {
  return {
    name: housekeepingJobName(options.prefix),
    everyMs: options.everyMs,
    runOnStart: true,
    run: async () => {
      const deleted = await options.admin.deleteTopicsOlderThan(options.retentionDays, options.clock.now());
      if (deleted.length > 0) options.logger?.info({ topics: deleted, retentionDays: options.retentionDays }, 'deleted dated topics past the retention');
    },
  };
}
