-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "member";

-- CreateTable
CREATE TABLE "members" (
    "id" BIGSERIAL NOT NULL,
    "email" VARCHAR(100) NOT NULL,
    "handle" VARCHAR(50) NOT NULL,
    "password_hash" TEXT NOT NULL,
    "member_name" VARCHAR(30) NOT NULL,
    "display_name" VARCHAR(50) NOT NULL,
    "bio" VARCHAR(500),
    "location" VARCHAR(100),
    "website_url" VARCHAR(200),
    "birth_date" DATE,
    "gender" VARCHAR(20),
    "language_code" VARCHAR(10),
    "country_code" VARCHAR(2),
    "timezone" VARCHAR(64),
    "privacy_level" VARCHAR(16) NOT NULL DEFAULT 'PUBLIC',
    "avatar_image_id" BIGINT,
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "followers_count" INTEGER NOT NULL DEFAULT 0,
    "followings_count" INTEGER NOT NULL DEFAULT 0,
    "token_generation" INTEGER NOT NULL DEFAULT 0,
    "deactivated_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "members_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "follows" (
    "id" BIGSERIAL NOT NULL,
    "follower_id" BIGINT NOT NULL,
    "followee_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "follows_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "kid" VARCHAR(64) NOT NULL,
    "alg" VARCHAR(16) NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_key_enc" BYTEA,
    "status" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "retiring_at" TIMESTAMPTZ(3),
    "retire_after" TIMESTAMPTZ(3),

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateTable
CREATE TABLE "refresh_tokens" (
    "id" BIGSERIAL NOT NULL,
    "token_hash" BYTEA NOT NULL,
    "member_id" BIGINT NOT NULL,
    "chain_id" UUID NOT NULL,
    "access_jti" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "rotated_at" TIMESTAMPTZ(3),
    "successor_enc" BYTEA,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "revoked_tokens" (
    "jti" VARCHAR(64) NOT NULL,
    "member_id" BIGINT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "revoked_tokens_pkey" PRIMARY KEY ("jti")
);

-- CreateTable
CREATE TABLE "outbox_events" (
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
CREATE INDEX "members_newest_idx" ON "members"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "follows_follower_idx" ON "follows"("follower_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "follows_followee_idx" ON "follows"("followee_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "follows_pair_key" ON "follows"("follower_id", "followee_id");

-- CreateIndex
CREATE UNIQUE INDEX "refresh_tokens_hash_key" ON "refresh_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "refresh_tokens_chain_idx" ON "refresh_tokens"("chain_id");

-- CreateIndex
CREATE INDEX "refresh_tokens_member_idx" ON "refresh_tokens"("member_id");

-- CreateIndex
CREATE INDEX "refresh_tokens_access_jti_idx" ON "refresh_tokens"("access_jti");

-- CreateIndex
CREATE INDEX "refresh_tokens_expires_idx" ON "refresh_tokens"("expires_at");

-- CreateIndex
CREATE INDEX "revoked_tokens_expires_idx" ON "revoked_tokens"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_event_id_key" ON "outbox_events"("event_id");

-- CreateIndex
CREATE INDEX "outbox_events_pending_idx" ON "outbox_events"("published_at", "next_attempt_at", "id");

-- ---------------------------------------------------------------------------------------------
-- Hand-written: what schema.prisma cannot express.
-- ---------------------------------------------------------------------------------------------

-- Email and handle are unique case-insensitively: two concurrent signups with one handle in
-- any letter case end with one row (the loser gets a unique violation -> 409).
CREATE UNIQUE INDEX "members_email_lower_key" ON "members" (lower("email"));
CREATE UNIQUE INDEX "members_handle_lower_key" ON "members" (lower("handle"));

ALTER TABLE "members"
  ADD CONSTRAINT "members_handle_format" CHECK ("handle" ~ '^[A-Za-z0-9_]{3,50}$'),
  ADD CONSTRAINT "members_privacy_level_check" CHECK ("privacy_level" IN ('PUBLIC', 'FOLLOWERS', 'PRIVATE')),
  ADD CONSTRAINT "members_counts_check" CHECK ("followers_count" >= 0 AND "followings_count" >= 0);

ALTER TABLE "follows"
  ADD CONSTRAINT "follows_follower_fkey" FOREIGN KEY ("follower_id") REFERENCES "members"("id") ON DELETE CASCADE,
  ADD CONSTRAINT "follows_followee_fkey" FOREIGN KEY ("followee_id") REFERENCES "members"("id") ON DELETE CASCADE,
  ADD CONSTRAINT "follows_not_self" CHECK ("follower_id" <> "followee_id");

ALTER TABLE "signing_keys"
  ADD CONSTRAINT "signing_keys_status_check" CHECK ("status" IN ('active', 'retiring', 'retired'));
-- At most one signing key is active: the first key of two replicas starting together is
-- created once (INSERT ... ON CONFLICT DO NOTHING on this index, under an advisory lock too).
CREATE UNIQUE INDEX "signing_keys_one_active" ON "signing_keys" ((true)) WHERE "status" = 'active';

ALTER TABLE "refresh_tokens"
  ADD CONSTRAINT "refresh_tokens_member_fkey" FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE CASCADE;

-- Pending outbox rows, oldest first, per entity (record key) for the relay.
CREATE INDEX "outbox_events_unpublished_idx" ON "outbox_events" ("record_key", "id") WHERE "published_at" IS NULL;
