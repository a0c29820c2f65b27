/** Removes images never attached within the TTL; scheduled in one replica at a time. */
import type { JobDefinition } from '../../dailyfeed-shared/src/jobs/job-runner.ts';
import type { ImageService } from '../images/image-service.ts';

export function unattachedCleanupJob(images: ImageService, ttlHours: number, log: { info(obj: object, msg: string): void }): JobDefinition {
  return {
    name: 'image.unattached-cleanup',
    everyMs: 10 * 60_000,
    runOnStart: false,
    async run({ signal }) {
      const before = new Date(Date.now() - ttlHours * 3_600_000);
      let removed = 0;
      for (;;) {
        const batch = await images.removeUnattached(before);
        removed += batch;
        if (batch === 0 || signal.aborted) break;
      }
      if (removed > 0) log.info({ removed }, 'removed unattached images');
    },
  };
}
