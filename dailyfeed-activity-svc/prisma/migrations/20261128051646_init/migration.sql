-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "activity";

-- CreateTable
CREATE TABLE "activity"."member_activities" (
    "id" BIGSERIAL NOT NULL,
    "message_key" VARCHAR(512) NOT NULL,
    "event_id" VARCHAR(64) NOT NULL,
    "member_id" BIGINT NOT NULL,
    "type" VARCHAR(32) NOT NULL,
    "post_id" BIGINT,
    "comment_id" BIGINT,
    "target_member_id" BIGINT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "member_activities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "activity"."dead_letters" (
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

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "member_activities_member_idx" ON "activity"."member_activities"("member_id", "occurred_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "member_activities_message_key_key" ON "activity"."member_activities"("message_key");

-- CreateIndex
CREATE INDEX "dead_letters_status_idx" ON "activity"."dead_letters"("consumer_group", "status");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_record_key" ON "activity"."dead_letters"("consumer_group", "topic", "partition", "offset");

-- Hand-written (Prisma cannot express these) -------------------------------------------
-- The dead-letter DDL of dailyfeed-shared/src/events/inbox/README.md: status values and
-- the due-rows index of the retry job.
ALTER TABLE "activity"."dead_letters" ADD CONSTRAINT "dead_letters_status_check" CHECK ("status" IN ('pending', 'parked', 'resolved'));
CREATE INDEX "dead_letters_due_idx" ON "activity"."dead_letters"("consumer_group", "next_attempt_at") WHERE "status" = 'pending';

-- The followings banner leaves READ events out: its own index without them.
CREATE INDEX "member_activities_banner_idx" ON "activity"."member_activities"("member_id", "occurred_at" DESC, "id" DESC)
  WHERE "type" NOT IN ('POST_READ', 'COMMENT_READ');
