/**
 * The one port every search engine adapter implements (PostgreSQL full text, Meilisearch).
 * Engines store and rank documents; they know nothing of events, versions or tombstones:
 * the indexer's ledger (indexer/ledger.ts) decides what reaches them, and the search service
 * hydrates hits from the content tables, so a deleted post never shows even if an engine lags.
 */
import type { QueryTerm } from './query.ts';

export interface PostDocument {
  id: string;
  authorId: string;
  title: string | null;
  content: string;
  createdAt: Date;
  /** The content row's updated_at: the document's version. */
  updatedAt: Date;
}

export interface CommentDocument {
  id: string;
  postId: string;
  authorId: string;
  content: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface SearchQuery {
  /** The keyword as typed (Meilisearch tokenizes it itself). */
  keyword: string;
  /** The keyword split into terms (query.ts): what the PostgreSQL engine matches. */
  terms: QueryTerm[];
  offset: number;
  limit: number;
}

export interface SearchHit {
  id: string;
  score: number;
  /** field -> snippet with matches in <em></em>, when the engine makes its own. */
  highlight?: Record<string, string>;
}

export interface SearchEngine {
  readonly name: 'postgres' | 'meilisearch';
  /** Creates indexes and applies settings (idempotent); PostgreSQL: nothing (migrations). */
  init(): Promise<void>;
  upsertPosts(docs: PostDocument[]): Promise<void>;
  deletePosts(ids: string[]): Promise<void>;
  upsertComments(docs: CommentDocument[]): Promise<void>;
  deleteComments(ids: string[]): Promise<void>;
  /** Every comment of these posts leaves the index (a deleted post's comments). */
  deleteCommentsOfPosts(postIds: string[]): Promise<void>;
  searchPosts(query: SearchQuery): Promise<SearchHit[]>;
  searchComments(query: SearchQuery): Promise<SearchHit[]>;
  /** Reindex support: empties both indexes (a full rebuild starts from nothing). */
  clear(): Promise<void>;
  /** Reindex support: documents currently indexed (posts, comments). */
  count(): Promise<{ posts: number; comments: number }>;
  /** Readiness: throws when the engine cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Single-document forms of the brief's interface, over the batch methods.
export const upsertPost = (engine: SearchEngine, doc: PostDocument) => engine.upsertPosts([doc]);
export const deletePost = (engine: SearchEngine, id: string) => engine.deletePosts([id]);
export const upsertComment = (engine: SearchEngine, doc: CommentDocument) => engine.upsertComments([doc]);
export const deleteComment = (engine: SearchEngine, id: string) => engine.deleteComments([id]);
export const deleteCommentsOfPost = (engine: SearchEngine, postId: string) => engine.deleteCommentsOfPosts([postId]);
