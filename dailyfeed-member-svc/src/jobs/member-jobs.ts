/**
 * Periodic work. Through the shared job runner (one replica at a time, advisory lock):
 * - `member.key-rotation` (hourly check; rotates when the active key is older than
 *   KEY_ROTATION_INTERVAL_SECONDS, default a day; retires keys whose tokens have all expired);
 * - `member.token-cleanup` (hourly: expired refresh tokens and expired revocations).
 */
import type pg from 'pg';
import { createJobRunner, type JobLogger, type JobRunner } from '../../dailyfeed-shared/src/jobs/job-runner.ts';
import { deleteExpiredRefreshTokens, deleteExpiredRevocations } from '../db/refresh-tokens-repo.ts';
import type { MemberServices } from '../services.ts';

export const KEY_ROTATION_JOB = 'member.key-rotation';
export const TOKEN_CLEANUP_JOB = 'member.token-cleanup';
const HOUR = 3_600_000;

export function scheduleMemberJobs(pool: pg.Pool, services: MemberServices, logger: JobLogger): JobRunner {
  const runner = createJobRunner({ pool, logger });
  runner.schedule({
    name: KEY_ROTATION_JOB,
    everyMs: Math.min(HOUR, services.config.KEY_ROTATION_INTERVAL_SECONDS * 1000),
    runOnStart: true,
    run: async () => {
      const result = await services.keys.rotate();
      if (result.rotated || result.retired.length) logger.info({ ...result, activeKid: services.keys.activeKid }, 'signing keys rotated');
    },
  });
  runner.schedule({
    name: TOKEN_CLEANUP_JOB,
    everyMs: HOUR,
    run: async ({ signal }) => {
      const now = new Date(services.clock.now());
      let refresh = 0;
      let revoked = 0;
      for (let n = 1; n > 0 && !signal.aborted; ) refresh += n = await deleteExpiredRefreshTokens(pool, now);
      for (let n = 1; n > 0 && !signal.aborted; ) revoked += n = await deleteExpiredRevocations(pool, now);
      logger.info({ refresh, revoked }, 'expired tokens cleaned');
    },
  });
  return runner;
}
