-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "search";

-- Hand-written: distinct Hangul unigrams and bigrams of a text. pg_trgm has no trigram for a
-- one- or two-syllable query, so short Korean queries use these grams (GIN on text[]).
-- The query 서울 finds 서울에서 through the bigram 서울. Longer queries need all their bigrams,
-- then an ILIKE recheck. IMMUTABLE because it feeds a generated column.
CREATE FUNCTION "search"."hangul_grams"(t TEXT) RETURNS TEXT[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[]) FROM (
    SELECT substr(m.w[1], i, k.n) AS g
      FROM regexp_matches(t, '[가-힣]+', 'g') AS m(w)
      CROSS JOIN (VALUES (1), (2)) AS k(n)
      CROSS JOIN LATERAL generate_series(1, char_length(m.w[1]) - k.n + 1) AS i
  ) grams
$$;

-- CreateTable
CREATE TABLE "search"."post_documents" (
    "post_id" BIGINT NOT NULL,
    "author_id" BIGINT NOT NULL,
    "title" TEXT,
    "content" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "tsv" tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, coalesce("title", '')), 'A') || setweight(to_tsvector('simple'::regconfig, "content"), 'B')) STORED,
    "grams" TEXT[] GENERATED ALWAYS AS ("search"."hangul_grams"(coalesce("title", '') || ' ' || "content")) STORED,

    CONSTRAINT "post_documents_pkey" PRIMARY KEY ("post_id")
);

-- CreateTable
CREATE TABLE "search"."comment_documents" (
    "comment_id" BIGINT NOT NULL,
    "post_id" BIGINT NOT NULL,
    "author_id" BIGINT NOT NULL,
    "content" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "tsv" tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, "content"), 'B')) STORED,
    "grams" TEXT[] GENERATED ALWAYS AS ("search"."hangul_grams"("content")) STORED,

    CONSTRAINT "comment_documents_pkey" PRIMARY KEY ("comment_id")
);

-- CreateTable
CREATE TABLE "search"."document_states" (
    "kind" VARCHAR(8) NOT NULL,
    "doc_id" BIGINT NOT NULL,
    "version" TIMESTAMPTZ(3) NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "post_id" BIGINT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "document_states_pkey" PRIMARY KEY ("kind","doc_id"),
    CONSTRAINT "document_states_kind_check" CHECK ("kind" IN ('post', 'comment'))
);

-- CreateTable
CREATE TABLE "search"."dead_letters" (
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

-- CreateIndex
CREATE INDEX "comment_documents_post_idx" ON "search"."comment_documents"("post_id");

-- CreateIndex
CREATE INDEX "document_states_post_idx" ON "search"."document_states"("post_id");

-- CreateIndex
CREATE INDEX "dead_letters_status_idx" ON "search"."dead_letters"("consumer_group", "status");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_record_key" ON "search"."dead_letters"("consumer_group", "topic", "partition", "offset");

-- Hand-written: the due index of listener dead letters (deadLettersDdl).
CREATE INDEX "dead_letters_due_idx" ON "search"."dead_letters"("consumer_group", "next_attempt_at") WHERE "status" = 'pending';

-- Hand-written: the search indexes. tsvector (word and prefix matches, ranking), trigrams of
-- the text (infix matches of 3+ characters, English and Korean alike: the database is UTF8
-- with LC_CTYPE C.UTF-8, so pg_trgm sees Hangul as word characters), Hangul grams (1-2
-- syllable queries). The trigram index is on the same expression the queries use.
CREATE INDEX "post_documents_tsv_idx" ON "search"."post_documents" USING gin ("tsv");
CREATE INDEX "post_documents_trgm_idx" ON "search"."post_documents" USING gin ((coalesce("title", '') || ' ' || "content") public.gin_trgm_ops);
CREATE INDEX "post_documents_grams_idx" ON "search"."post_documents" USING gin ("grams");
CREATE INDEX "comment_documents_tsv_idx" ON "search"."comment_documents" USING gin ("tsv");
CREATE INDEX "comment_documents_trgm_idx" ON "search"."comment_documents" USING gin ("content" public.gin_trgm_ops);
CREATE INDEX "comment_documents_grams_idx" ON "search"."comment_documents" USING gin ("grams");
