/**
 * Rebuilds the index from the database: every post and comment row of the content schema,
 * in id order and batches, through the indexer's own sync (ledger-guarded, so a rebuild that
 * runs while events are consumed never overwrites a newer state). `fresh` empties the engine
 * and the ledger first (a full rebuild; deleted rows of content are the tombstones' truth).
 */
import type { ContentReader } from '../db/content-reader.ts';
import type { SearchEngine } from '../engine/search-engine.ts';
import type { Indexer } from './indexer.ts';
import type { Ledger } from './ledger.ts';

export interface ReindexOptions {
  fresh?: boolean;
  batchSize?: number;
  onProgress?: (progress: { kind: 'post' | 'comment'; done: number }) => void;
  signal?: AbortSignal;
}

export interface ReindexResult {
  posts: number;
  comments: number;
  upserted: number;
  deleted: number;
  ms: number;
}

export async function reindex(deps: { content: ContentReader; engine: SearchEngine; ledger: Ledger; indexer: Indexer }, options: ReindexOptions = {}): Promise<ReindexResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 2_000;
  if (options.fresh) {
    await deps.engine.clear();
    await deps.ledger.clear();
  }
  const result = { posts: 0, comments: 0, upserted: 0, deleted: 0 };
  let after = '0';
  for (;;) {
    if (options.signal?.aborted) break;
    const rows = await deps.content.postsAfter(after, batchSize);
    if (rows.length === 0) break;
    const synced = await deps.indexer.syncPosts(rows);
    result.posts += rows.length;
    result.upserted += synced.upserted;
    result.deleted += synced.deleted;
    after = rows[rows.length - 1]!.id;
    options.onProgress?.({ kind: 'post', done: result.posts });
  }
  after = '0';
  for (;;) {
    if (options.signal?.aborted) break;
    const rows = await deps.content.commentsAfter(after, batchSize);
    if (rows.length === 0) break;
    const synced = await deps.indexer.syncComments(rows);
    result.comments += rows.length;
    result.upserted += synced.upserted;
    result.deleted += synced.deleted;
    after = rows[rows.length - 1]!.id;
    options.onProgress?.({ kind: 'comment', done: result.comments });
  }
  return { ...result, ms: performance.now() - started };
}
