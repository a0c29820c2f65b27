-- Listener dead letters: copied from dailyfeed-shared deadLettersDdl('timeline').
CREATE TABLE "timeline"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "consumer_group" VARCHAR(255) NOT NULL,
    "topic" VARCHAR(249) NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "key" TEXT,
    "value" BYTEA,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "event_id" VARCHAR(64),
    "error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "next_attempt_at" TIMESTAMPTZ(3),
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dead_letters_status_check" CHECK ("status" IN ('pending', 'parked', 'resolved'))
);
CREATE UNIQUE INDEX "dead_letters_record_key" ON "timeline"."dead_letters"("consumer_group", "topic", "partition", "offset");
CREATE INDEX "dead_letters_due_idx" ON "timeline"."dead_letters"("consumer_group", "next_attempt_at") WHERE "status" = 'pending';
CREATE INDEX "dead_letters_status_idx" ON "timeline"."dead_letters"("consumer_group", "status");
