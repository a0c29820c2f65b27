/**
 * Transactional outbox: events are inserted in the transaction of the change they describe,
 * and published to Kafka by the relay (dailyfeed-shared's outbox relay once it exists).
 */
import type { ActivityEvent } from '../../dailyfeed-shared/src/events/event-types.ts';
import { recordKeyOf } from '../../dailyfeed-shared/src/events/event-types.ts';
import { currentRequestContext } from '../../dailyfeed-shared/src/http/request-context.ts';
import type { Queryable } from './pool.ts';

export async function insertOutboxEvent(db: Queryable, event: ActivityEvent): Promise<void> {
  await db.query(
    `INSERT INTO outbox_events (event_id, record_key, event_type, payload, traceparent) VALUES ($1, $2, $3, $4, $5)`,
    [event.eventId, recordKeyOf(event), event.type, JSON.stringify(event), currentRequestContext()?.traceparent ?? null],
  );
}
