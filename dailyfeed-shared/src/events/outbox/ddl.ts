/**
 * The `outbox_events` table every owning service copies into a migration of its own schema
 * (README.md). Kept here as the reference the shared tests create, so the relay's SQL and
 * the documented DDL cannot drift apart.
 */
export function outboxDdl(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`outboxDdl: bad schema name ${JSON.stringify(schema)}`);
  return `
CREATE TABLE "${schema}"."outbox_events" (
    "id" BIGSERIAL NOT NULL,
    "event_id" VARCHAR(64) NOT NULL,
    "record_key" VARCHAR(200) NOT NULL,
    "event_type" VARCHAR(40) NOT NULL,
    "payload" JSONB NOT NULL,
    "traceparent" VARCHAR(64),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "outbox_events_event_id_key" ON "${schema}"."outbox_events"("event_id");
CREATE INDEX "outbox_events_pending_idx" ON "${schema}"."outbox_events"("published_at", "next_attempt_at", "id");
CREATE INDEX "outbox_events_unpublished_idx" ON "${schema}"."outbox_events"("record_key", "id") WHERE "published_at" IS NULL;
`;
}

export const OUTBOX_DDL = outboxDdl('your_schema');
