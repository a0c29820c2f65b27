/**
 * The indexer's ledger (`search.document_states`), the same for every engine: the newest
 * version applied per document and its delete tombstone. Events of one post arrive in order
 * within one day's topic, but not across midnight, nor when a dead letter is retried later;
 * the ledger makes every write conditional: an upsert older than what was applied, or of a
 * deleted document, is dropped, and a delete is final (a late create never resurrects).
 */
import type { Queryable } from '../db/pool.ts';

export type DocKind = 'post' | 'comment';

export interface VersionedId {
  id: string;
  version: Date;
  postId?: string | null;
}

export class Ledger {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Records the versions; returns the ids whose upsert may go to the engine. */
  async acceptUpserts(kind: DocKind, items: VersionedId[]): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const unique = newestOf(items);
    const { rows } = await this.#db.query<{ id: string }>(
      `INSERT INTO search.document_states (kind, doc_id, version, deleted, post_id)
       SELECT $1, t.id, t.version, false, t.post_id
         FROM unnest($2::bigint[], $3::timestamptz[], $4::bigint[]) AS t(id, version, post_id)
       ON CONFLICT (kind, doc_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()
         WHERE NOT document_states.deleted AND document_states.version <= EXCLUDED.version
       RETURNING doc_id::text AS id`,
      [kind, unique.map((i) => i.id), unique.map((i) => i.version), unique.map((i) => i.postId ?? null)],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Tombstones: the documents are deleted for good. */
  async tombstone(kind: DocKind, items: VersionedId[]): Promise<void> {
    if (items.length === 0) return;
    const unique = newestOf(items);
    await this.#db.query(
      `INSERT INTO search.document_states (kind, doc_id, version, deleted, post_id)
       SELECT $1, t.id, t.version, true, t.post_id
         FROM unnest($2::bigint[], $3::timestamptz[], $4::bigint[]) AS t(id, version, post_id)
       ON CONFLICT (kind, doc_id) DO UPDATE SET deleted = true,
         version = GREATEST(document_states.version, EXCLUDED.version), updated_at = now()`,
      [kind, unique.map((i) => i.id), unique.map((i) => i.version), unique.map((i) => i.postId ?? null)],
    );
  }

  /** Tombstones every comment of these posts (content's rows and any the ledger knows). */
  async tombstoneCommentsOfPosts(postIds: string[], version: Date): Promise<void> {
    if (postIds.length === 0) return;
    await this.#db.query(
      `INSERT INTO search.document_states (kind, doc_id, version, deleted, post_id)
       SELECT 'comment', c.id, $2, true, c.post_id FROM content.comments c WHERE c.post_id = ANY($1::bigint[])
       ON CONFLICT (kind, doc_id) DO UPDATE SET deleted = true,
         version = GREATEST(document_states.version, EXCLUDED.version), updated_at = now()`,
      [postIds, version],
    );
    await this.#db.query(
      `UPDATE search.document_states SET deleted = true, updated_at = now()
        WHERE kind = 'comment' AND post_id = ANY($1::bigint[]) AND NOT deleted`,
      [postIds],
    );
  }

  async isDeleted(kind: DocKind, id: string): Promise<boolean> {
    const { rows } = await this.#db.query<{ deleted: boolean }>(
      `SELECT deleted FROM search.document_states WHERE kind = $1 AND doc_id = $2`,
      [kind, id],
    );
    return rows[0]?.deleted === true;
  }

  /** A full rebuild starts from nothing (the content tables are the truth, tombstones included). */
  async clear(): Promise<void> {
    await this.#db.query('TRUNCATE search.document_states');
  }
}

function newestOf(items: VersionedId[]): VersionedId[] {
  const byId = new Map<string, VersionedId>();
  for (const item of items) {
    const seen = byId.get(item.id);
    if (!seen || seen.version.getTime() <= item.version.getTime()) byId.set(item.id, item);
  }
  return [...byId.values()];
}
