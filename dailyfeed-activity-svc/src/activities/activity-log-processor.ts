/** The first processor: the member activity log (every type, READ events included). */
import type { Db } from '../db/pool.ts';
import { upsertActivity } from '../db/activity-repository.ts';
import type { EventProcessor } from './processors.ts';

export const activityLogProcessor = (db: Db): EventProcessor => ({
  name: 'activity-log',
  process: async (event) => void (await upsertActivity(db, event)),
});
