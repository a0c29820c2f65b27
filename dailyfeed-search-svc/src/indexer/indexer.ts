/**
 * Keeps the engine in step with content: each POST_* / COMMENT_* event makes the indexer read
 * the CURRENT row from the content schema (read-only) and apply it, so the event is only a
 * "look again" signal and a replay converges to the database's state. Out-of-order safety and
 * tombstones come from the ledger (versions = the row's updated_at, or deleted_at / the
 * event's occurredAt for deletes). A deleted post's comments leave with it.
 * The reindex command runs the same `syncPosts` / `syncComments` over batches of rows.
 */
import type { ActivityEvent } from '../../dailyfeed-shared/src/events/index.ts';
import type { CommentSource, ContentReader, PostSource } from '../db/content-reader.ts';
import type { SearchEngine } from '../engine/search-engine.ts';
import type { Ledger } from './ledger.ts';

/** The row an event names is not visible (yet): retried from the dead letters. */
export class SourceNotFoundError extends Error {
  constructor(kind: string, id: string) {
    super(`${kind} ${id} not found in the content schema`);
    this.name = 'SourceNotFoundError';
  }
}

export interface IndexerObserver {
  applied?(event: ActivityEvent): void;
}

export interface SyncResult {
  upserted: number;
  deleted: number;
}

export class Indexer {
  readonly #content: ContentReader;
  readonly #engine: SearchEngine;
  readonly #ledger: Ledger;
  readonly #observer: IndexerObserver;

  constructor(deps: { content: ContentReader; engine: SearchEngine; ledger: Ledger; observer?: IndexerObserver }) {
    this.#content = deps.content;
    this.#engine = deps.engine;
    this.#ledger = deps.ledger;
    this.#observer = deps.observer ?? {};
  }

  async handle(event: ActivityEvent): Promise<void> {
    switch (event.type) {
      case 'POST_CREATE':
      case 'POST_UPDATE':
      case 'POST_DELETE':
        await this.#onPost(event);
        break;
      case 'COMMENT_CREATE':
      case 'COMMENT_UPDATE':
      case 'COMMENT_DELETE':
        await this.#onComment(event);
        break;
      default:
        return; // likes, reads, follows: nothing searchable changes
    }
    this.#observer.applied?.(event);
  }

  async #onPost(event: ActivityEvent): Promise<void> {
    const postId = event.postId as string; // decodeEventValue guarantees the subject id
    const row = await this.#content.post(postId);
    const occurredAt = new Date(event.occurredAt);
    if (event.type === 'POST_DELETE' || row?.deleted_at) {
      // A delete is final: trust the event even if the row is not (yet) marked.
      await this.#deletePosts([{ id: postId, version: row?.deleted_at ?? occurredAt }]);
      return;
    }
    if (!row) throw new SourceNotFoundError('post', postId);
    await this.syncPosts([row]);
  }

  async #onComment(event: ActivityEvent): Promise<void> {
    const commentId = event.commentId as string;
    const row = await this.#content.comment(commentId);
    const occurredAt = new Date(event.occurredAt);
    if (event.type === 'COMMENT_DELETE' || row?.deleted_at || row?.post_deleted) {
      await this.#deleteComments([{ id: commentId, version: row?.deleted_at ?? occurredAt, postId: row?.post_id ?? event.postId }]);
      return;
    }
    if (!row) throw new SourceNotFoundError('comment', commentId);
    await this.syncComments([row]);
  }

  /** Applies post rows as they are now (live ones upserted, deleted ones removed). */
  async syncPosts(rows: PostSource[]): Promise<SyncResult> {
    const live = rows.filter((row) => row.deleted_at === null);
    const dead = rows.filter((row) => row.deleted_at !== null);
    const accepted = await this.#ledger.acceptUpserts('post', live.map((row) => ({ id: row.id, version: row.updated_at })));
    const docs = live
      .filter((row) => accepted.has(row.id))
      .map((row) => ({ id: row.id, authorId: row.author_id, title: row.title, content: row.content, createdAt: row.created_at, updatedAt: row.updated_at }));
    await this.#engine.upsertPosts(docs);
    await this.#deletePosts(dead.map((row) => ({ id: row.id, version: row.deleted_at as Date })));
    return { upserted: docs.length, deleted: dead.length };
  }

  async syncComments(rows: CommentSource[]): Promise<SyncResult> {
    const live = rows.filter((row) => row.deleted_at === null && !row.post_deleted);
    const dead = rows.filter((row) => row.deleted_at !== null || row.post_deleted);
    const accepted = await this.#ledger.acceptUpserts('comment', live.map((row) => ({ id: row.id, version: row.updated_at, postId: row.post_id })));
    const docs = live
      .filter((row) => accepted.has(row.id))
      .map((row) => ({ id: row.id, postId: row.post_id, authorId: row.author_id, content: row.content, createdAt: row.created_at, updatedAt: row.updated_at }));
    await this.#engine.upsertComments(docs);
    await this.#deleteComments(dead.map((row) => ({ id: row.id, version: row.deleted_at ?? row.updated_at, postId: row.post_id })));
    return { upserted: docs.length, deleted: dead.length };
  }

  async #deletePosts(items: Array<{ id: string; version: Date }>): Promise<void> {
    if (items.length === 0) return;
    const ids = items.map((item) => item.id);
    // Tombstones first: an upsert racing this one is refused by the ledger from now on.
    await this.#ledger.tombstone('post', items);
    const newest = new Date(Math.max(...items.map((item) => item.version.getTime())));
    await this.#ledger.tombstoneCommentsOfPosts(ids, newest);
    await this.#engine.deletePosts(ids);
    await this.#engine.deleteCommentsOfPosts(ids);
  }

  async #deleteComments(items: Array<{ id: string; version: Date; postId?: string | null }>): Promise<void> {
    if (items.length === 0) return;
    await this.#ledger.tombstone('comment', items);
    await this.#engine.deleteComments(items.map((item) => item.id));
  }
}
