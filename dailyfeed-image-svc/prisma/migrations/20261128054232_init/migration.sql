-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "image";

-- CreateTable
CREATE TABLE "image"."images" (
    "id" BIGSERIAL NOT NULL,
    "owner_id" BIGINT NOT NULL,
    "purpose" VARCHAR(16) NOT NULL,
    "source_type" VARCHAR(32) NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "variants" JSONB NOT NULL,
    "attached_to" VARCHAR(64),
    "attached_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "images_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "images_owner_id_created_at_idx" ON "image"."images"("owner_id", "created_at" DESC);

-- CreateIndex
-- Only images never attached (or detached) are swept by the cleanup job.
CREATE INDEX "images_unattached_idx" ON "image"."images"("created_at") WHERE "attached_at" IS NULL AND "deleted_at" IS NULL;
