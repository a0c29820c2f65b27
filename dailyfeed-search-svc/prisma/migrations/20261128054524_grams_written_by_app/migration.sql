-- Hand-written: Hangul grams are computed by the application (engine/grams.ts) instead of a
-- generated column. The SQL function cost about 250 microseconds a post, the largest part of
-- indexing (benchmark), the same grams in TypeScript cost a few. Existing rows are backfilled
-- with the SQL function, which stays for that purpose and for ad-hoc checks.
DROP INDEX "search"."post_documents_grams_idx";
ALTER TABLE "search"."post_documents" DROP COLUMN "grams";
ALTER TABLE "search"."post_documents" ADD COLUMN "grams" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
UPDATE "search"."post_documents" SET "grams" = "search"."hangul_grams"(coalesce("title", '') || ' ' || "content");
CREATE INDEX "post_documents_grams_idx" ON "search"."post_documents" USING gin ("grams");

DROP INDEX "search"."comment_documents_grams_idx";
ALTER TABLE "search"."comment_documents" DROP COLUMN "grams";
ALTER TABLE "search"."comment_documents" ADD COLUMN "grams" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
UPDATE "search"."comment_documents" SET "grams" = "search"."hangul_grams"("content");
CREATE INDEX "comment_documents_grams_idx" ON "search"."comment_documents" USING gin ("grams");
