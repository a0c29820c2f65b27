/**
 * The PostgreSQL engine (the default): `search.post_documents` / `search.comment_documents`
 * with generated columns (migration 20261128052702_init):
 * - `tsv`: setweight(title, A) || setweight(content, B) in the `simple` configuration (no
 *   stemming: it works the same for Korean and English); word-prefix matches and ranking;
 * - `search_text` = lower(title || ' ' || content), with a pg_trgm GIN index: infix matches
 *   of 3+ characters (`arch` in `search`);
 * - `grams` (written here, engine/grams.ts): distinct Hangul unigrams and bigrams: 1-2
 *   syllable Korean queries, which have no trigram at all (`서울` finds `서울에서`).
 *
 * Matching (every term must match):
 * - Hangul term of 1-2 syllables: `grams @> {term}` (exact: grams come from Hangul runs only);
 * - Hangul term of 3+ syllables: `grams @> {its bigrams}`, then a LIKE recheck;
 * - other term of 3+ characters: LIKE '%term%' on the stored lower-case `search_text`
 *   (trigram index; terms are lower-cased in query.ts);
 * - other term of 1-2 characters: a word-prefix match on `tsv` (`go` finds `Go`, `google`).
 * Ranking: per term, a title hit scores 3 and a body hit 1, plus ts_rank over the weighted
 * tsvector (title A=1.0 over body B=0.4) for word-start matches; ties: newest first.
 * Ranking window: scoring every match of a frequent word (`the` in half the corpus) costs a
 * recheck and a ts_rank per row, so only the newest `rankWindow` matches (default 500, at
 * least offset + limit) are ranked: "most relevant among the newest matches". How the
 * candidates are found is decided here (RECENT_ROWS_PER_WINDOW below).
 */
import type { Pool } from 'pg';
import type { CommentDocument, PostDocument, SearchEngine, SearchHit, SearchQuery } from './search-engine.ts';
import { hangulGrams } from './grams.ts';
import type { QueryTerm } from './query.ts';

/** Stored lower(title || ' ' || content), trigram-indexed (migration 20261128055312). */
const SEARCH_TEXT = 'd.search_text';
const stripNul = (text: string) => (text.includes('\u0000') ? text.replaceAll('\u0000', '') : text);
/** A text[] literal of a document's grams (an array of arrays cannot travel through unnest). Grams are Hangul only: no quoting needed. */
const gramsLiteral = (text: string) => `{${hangulGrams(text).join(',')}}`;
const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, '\\$&')}%`;

function bigramsOf(text: string): string[] {
  const out = new Set<string>();
  const chars = [...text];
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!);
  return [...out];
}

/** The newest version of each id (a batch may carry one document twice). */
function newestById<T extends { id: string; updatedAt: Date }>(docs: T[]): T[] {
  const byId = new Map<string, T>();
  for (const doc of docs) {
    const seen = byId.get(doc.id);
    if (!seen || seen.updatedAt.getTime() <= doc.updatedAt.getTime()) byId.set(doc.id, doc);
  }
  return [...byId.values()];
}

/** SQL with its own numbered parameters. */
interface Sql {
  parts: string[];
  params: unknown[];
}

function collector(): { params: unknown[]; param(value: unknown): string } {
  const params: unknown[] = [];
  return { params, param: (value) => `$${params.push(value)}` };
}

/** The match predicate: every term must match. */
function buildWhere(terms: QueryTerm[], text: string): Sql {
  const { params, param } = collector();
  const parts = terms.map((term) => {
    const chars = [...term.text].length;
    if (term.hangul && chars <= 2) return `d.grams @> ARRAY[${param(term.text)}]::text[]`;
    if (term.hangul) return `d.grams @> ${param(bigramsOf(term.text))}::text[] AND ${text} LIKE ${param(likePattern(term.text))}`;
    if (chars >= 3) return `${text} LIKE ${param(likePattern(term.text))}`;
    return `d.tsv @@ to_tsquery('simple', ${param(`'${term.text}':*`)})`;
  });
  return { parts, params };
}

/** The score: per term a title hit 3, a body hit 1, plus ts_rank of the prefix query. */
function buildScore(terms: QueryTerm[], titleColumn: string | null): Sql {
  const { params, param } = collector();
  const parts: string[] = [];
  for (const term of terms) {
    const like = param(likePattern(term.text));
    if (titleColumn) parts.push(`(CASE WHEN ${titleColumn} ILIKE ${like} THEN 3 ELSE 0 END)`);
    parts.push(`(CASE WHEN d.content ILIKE ${like} THEN 1 ELSE 0 END)`);
  }
  // Terms are letters, digits and marks only (query.ts): safe inside a quoted lexeme.
  parts.push(`ts_rank(d.tsv, to_tsquery('simple', ${param(terms.map((t) => `'${t.text}':*`).join(' | '))}))`);
  return { parts, params };
}

/**
 * Candidate selection, with the plan chosen here rather than by the planner's estimate of a
 * LIKE's selectivity (wrong by a few times, it sent a 0.2% term down the primary key for
 * seconds at a million rows, benchmark):
 * 1. the newest RECENT_ROWS_PER_WINDOW * window rows are checked (primary key, newest first):
 *    a frequent term fills the window there and the search is done;
 * 2. otherwise the term is rarer than 1 in RECENT_ROWS_PER_WINDOW, so its matches are few:
 *    all of them come from the GIN indexes (index and sequential scans off for this query),
 *    newest first, up to the window.
 * Either step touches at most about window * RECENT_ROWS_PER_WINDOW rows.
 */
const RECENT_ROWS_PER_WINDOW = 40;

export class PostgresSearchEngine implements SearchEngine {
  readonly name = 'postgres' as const;
  readonly #pool: Pool;
  readonly #rankWindow: number;

  constructor(pool: Pool, options: { rankWindow?: number } = {}) {
    this.#pool = pool;
    this.#rankWindow = options.rankWindow ?? 500;
  }

  async init(): Promise<void> {
    // Tables, generated columns and indexes come from the migrations.
  }

  async upsertPosts(docs: PostDocument[]): Promise<void> {
    if (docs.length === 0) return;
    const rows = newestById(docs);
    await this.#pool.query(
      `INSERT INTO search.post_documents (post_id, author_id, title, content, created_at, updated_at, grams)
       SELECT t.id, t.author_id, t.title, t.content, t.created_at, t.updated_at, COALESCE(t.grams::text[], '{}')
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[])
           AS t(id, author_id, title, content, created_at, updated_at, grams)
       ON CONFLICT (post_id) DO UPDATE SET author_id = EXCLUDED.author_id, title = EXCLUDED.title, content = EXCLUDED.content,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, grams = EXCLUDED.grams
       WHERE post_documents.updated_at <= EXCLUDED.updated_at`,
      [
        rows.map((d) => d.id),
        rows.map((d) => d.authorId),
        rows.map((d) => (d.title === null ? null : stripNul(d.title))),
        rows.map((d) => stripNul(d.content)),
        rows.map((d) => d.createdAt),
        rows.map((d) => d.updatedAt),
        rows.map((d) => gramsLiteral(`${d.title ?? ''} ${d.content}`)),
      ],
    );
  }

  async deletePosts(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#pool.query(`DELETE FROM search.post_documents WHERE post_id = ANY($1::bigint[])`, [ids]);
  }

  async upsertComments(docs: CommentDocument[]): Promise<void> {
    if (docs.length === 0) return;
    const rows = newestById(docs);
    await this.#pool.query(
      `INSERT INTO search.comment_documents (comment_id, post_id, author_id, content, created_at, updated_at, grams)
       SELECT t.id, t.post_id, t.author_id, t.content, t.created_at, t.updated_at, COALESCE(t.grams::text[], '{}')
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[])
           AS t(id, post_id, author_id, content, created_at, updated_at, grams)
       ON CONFLICT (comment_id) DO UPDATE SET post_id = EXCLUDED.post_id, author_id = EXCLUDED.author_id, content = EXCLUDED.content,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, grams = EXCLUDED.grams
       WHERE comment_documents.updated_at <= EXCLUDED.updated_at`,
      [
        rows.map((d) => d.id),
        rows.map((d) => d.postId),
        rows.map((d) => d.authorId),
        rows.map((d) => stripNul(d.content)),
        rows.map((d) => d.createdAt),
        rows.map((d) => d.updatedAt),
        rows.map((d) => gramsLiteral(d.content)),
      ],
    );
  }

  async deleteComments(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#pool.query(`DELETE FROM search.comment_documents WHERE comment_id = ANY($1::bigint[])`, [ids]);
  }

  async deleteCommentsOfPosts(postIds: string[]): Promise<void> {
    if (postIds.length === 0) return;
    await this.#pool.query(`DELETE FROM search.comment_documents WHERE post_id = ANY($1::bigint[])`, [postIds]);
  }

  searchPosts(query: SearchQuery): Promise<SearchHit[]> {
    return this.#search(query, 'search.post_documents', 'post_id', SEARCH_TEXT, 'd.title');
  }

  searchComments(query: SearchQuery): Promise<SearchHit[]> {
    return this.#search(query, 'search.comment_documents', 'comment_id', SEARCH_TEXT, null);
  }

  async #search(query: SearchQuery, table: string, idColumn: string, text: string, titleColumn: string | null): Promise<SearchHit[]> {
    if (query.terms.length === 0) return [];
    const where = buildWhere(query.terms, text);
    const predicate = where.parts.join(' AND ');
    const window = Math.max(this.#rankWindow, query.offset + query.limit);
    const recent = await this.#pool.query<{ id: string }>(
      `SELECT d.${idColumn}::text AS id
         FROM (SELECT * FROM ${table} ORDER BY ${idColumn} DESC LIMIT ${window * RECENT_ROWS_PER_WINDOW}) d
        WHERE ${predicate} ORDER BY d.${idColumn} DESC LIMIT ${window}`,
      where.params,
    );
    let ids = recent.rows.map((row) => row.id);
    if (ids.length < window) {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN READ ONLY');
        await client.query('SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off');
        const all = await client.query<{ id: string }>(
          `SELECT d.${idColumn}::text AS id FROM ${table} d WHERE ${predicate} ORDER BY d.${idColumn} DESC LIMIT ${window}`,
          where.params,
        );
        await client.query('COMMIT');
        ids = all.rows.map((row) => row.id);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
    if (ids.length === 0) return [];
    const score = buildScore(query.terms, titleColumn);
    const idsParam = score.params.push(ids);
    const offset = score.params.push(query.offset);
    const limit = score.params.push(query.limit);
    const { rows } = await this.#pool.query<{ id: string; score: number }>(
      `SELECT d.${idColumn}::text AS id, (${score.parts.join(' + ')})::float8 AS score
         FROM ${table} d WHERE d.${idColumn} = ANY($${idsParam}::bigint[])
        ORDER BY score DESC, d.created_at DESC, d.${idColumn} DESC
        OFFSET $${offset} LIMIT $${limit}`,
      score.params,
    );
    return rows.map((row) => ({ id: row.id, score: row.score }));
  }

  async clear(): Promise<void> {
    await this.#pool.query('TRUNCATE search.post_documents, search.comment_documents');
  }

  async count(): Promise<{ posts: number; comments: number }> {
    const { rows } = await this.#pool.query<{ posts: string; comments: string }>(
      `SELECT (SELECT count(*) FROM search.post_documents) AS posts, (SELECT count(*) FROM search.comment_documents) AS comments`,
    );
    return { posts: Number(rows[0]?.posts ?? 0), comments: Number(rows[0]?.comments ?? 0) };
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1 FROM search.post_documents LIMIT 1');
  }

  async close(): Promise<void> {
    // The pool belongs to the app.
  }
}
