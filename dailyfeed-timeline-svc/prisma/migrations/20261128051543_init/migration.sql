-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "timeline";

-- CreateTable
CREATE TABLE "timeline"."post_views" (
    "post_id" BIGINT NOT NULL,
    "view_count" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "post_views_pkey" PRIMARY KEY ("post_id")
);

-- CreateTable
CREATE TABLE "timeline"."post_tombstones" (
    "post_id" BIGINT NOT NULL,
    "author_id" BIGINT NOT NULL,
    "deleted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "post_tombstones_pkey" PRIMARY KEY ("post_id")
);
