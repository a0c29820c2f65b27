-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "content";

-- CreateTable
CREATE TABLE "content"."posts" (
    "id" BIGSERIAL NOT NULL,
    "author_id" BIGINT NOT NULL,
    "title" VARCHAR(200),
    "content" TEXT NOT NULL,
    "image_ids" BIGINT[] DEFAULT ARRAY[]::BIGINT[],
    "like_count" INTEGER NOT NULL DEFAULT 0,
    "comment_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "posts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "content"."comments" (
    "id" BIGSERIAL NOT NULL,
    "post_id" BIGINT NOT NULL,
    "parent_id" BIGINT,
    "depth" SMALLINT NOT NULL,
    "author_id" BIGINT NOT NULL,
    "content" TEXT NOT NULL,
    "like_count" INTEGER NOT NULL DEFAULT 0,
    "reply_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "comments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "content"."post_likes" (
    "post_id" BIGINT NOT NULL,
    "member_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "post_likes_pkey" PRIMARY KEY ("post_id","member_id")
);

-- CreateTable
CREATE TABLE "content"."comment_likes" (
    "comment_id" BIGINT NOT NULL,
    "member_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "comment_likes_pkey" PRIMARY KEY ("comment_id","member_id")
);

-- CreateTable
CREATE TABLE "content"."outbox_events" (
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

-- CreateIndex
CREATE INDEX "posts_author_time_idx" ON "content"."posts"("author_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "posts_time_idx" ON "content"."posts"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "comments_thread_idx" ON "content"."comments"("post_id", "parent_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "comments_parent_idx" ON "content"."comments"("parent_id");

-- CreateIndex
CREATE INDEX "comments_author_time_idx" ON "content"."comments"("author_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "post_likes_member_idx" ON "content"."post_likes"("member_id", "post_id");

-- CreateIndex
CREATE INDEX "comment_likes_member_idx" ON "content"."comment_likes"("member_id", "comment_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_event_id_key" ON "content"."outbox_events"("event_id");

-- CreateIndex
CREATE INDEX "outbox_events_pending_idx" ON "content"."outbox_events"("published_at", "next_attempt_at", "id");

-- Hand-written: what the datamodel cannot say.
ALTER TABLE "content"."comments" ADD CONSTRAINT "comments_depth_check" CHECK ("depth" BETWEEN 0 AND 2);
ALTER TABLE "content"."posts" ADD CONSTRAINT "posts_counts_check" CHECK ("like_count" >= 0 AND "comment_count" >= 0);
ALTER TABLE "content"."comments" ADD CONSTRAINT "comments_counts_check" CHECK ("like_count" >= 0 AND "reply_count" >= 0);
-- Unpublished outbox rows, in order: the relay's claim query.
CREATE INDEX "outbox_events_unpublished_idx" ON "content"."outbox_events" ("record_key", "id") WHERE "published_at" IS NULL;
