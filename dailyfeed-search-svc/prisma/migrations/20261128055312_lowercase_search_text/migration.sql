-- AlterTable
ALTER TABLE "search"."post_documents" ADD COLUMN     "search_text" TEXT;

-- AlterTable
ALTER TABLE "search"."comment_documents" ADD COLUMN     "search_text" TEXT;
