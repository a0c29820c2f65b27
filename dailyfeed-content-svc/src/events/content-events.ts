/**
 * The events of content writes (events.md): built here, stored in the outbox in the
 * write's transaction, and relayed to Kafka after the commit.
 */
import type pg from 'pg';
import { createActivityEvent, type ActivityEvent, type ActivityEventType } from '../../dailyfeed-shared/src/events/event-types.ts';
import { enqueueEvents } from '../../dailyfeed-shared/src/events/outbox/outbox.ts';

export const SCHEMA = 'content';

export class ContentEvents {
  constructor(private readonly timeZone: string) {}

  event(type: ActivityEventType, memberId: string, ids: { postId?: string; commentId?: string }): ActivityEvent {
    return createActivityEvent({ type, memberId, ...ids, timeZone: this.timeZone });
  }

  store(tx: pg.PoolClient, events: ActivityEvent[]): Promise<void> {
    return enqueueEvents(tx, SCHEMA, events);
  }
}
