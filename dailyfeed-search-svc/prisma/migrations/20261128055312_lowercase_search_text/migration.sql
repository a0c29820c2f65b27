-- Hand-written: the lower-cased text, stored and trigram-indexed. Infix matches recheck every
-- candidate row, and LIKE on stored lower-case text costs about a quarter of ILIKE on the
-- concatenated columns (benchmark, 20,000 posts: 11 ms against 50 ms a scan). It replaces the
-- expression index of the first migration. Terms are lower-cased by the application.
ALTER TABLE "search"."post_documents" ADD COLUMN "search_text" TEXT GENERATED ALWAYS AS (lower(coalesce("title", '') || ' ' || "content")) STORED;
DROP INDEX "search"."post_documents_trgm_idx";
CREATE INDEX "post_documents_trgm_idx" ON "search"."post_documents" USING gin ("search_text" public.gin_trgm_ops);

ALTER TABLE "search"."comment_documents" ADD COLUMN "search_text" TEXT GENERATED ALWAYS AS (lower("content")) STORED;
DROP INDEX "search"."comment_documents_trgm_idx";
CREATE INDEX "comment_documents_trgm_idx" ON "search"."comment_documents" USING gin ("search_text" public.gin_trgm_ops);
