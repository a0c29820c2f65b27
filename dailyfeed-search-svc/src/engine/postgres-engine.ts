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
 * least offset + limit) are ranked: "most relevant among the newest matches". The planner
 * walks the primary key backwards for frequent terms and uses the GIN indexes for rare ones
 * (README, benchmark: 4-6x faster on frequent words, unchanged on rare ones).
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

interface Built {
  where: string[];
  score: string[];
  params: unknown[];
}

function buildMatch(terms: QueryTerm[], text: string, titleColumn: string | null): Built {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  const score: string[] = [];
  for (const term of terms) {
    const chars = [...term.text].length;
    const like = param(likePattern(term.text));
    if (term.hangul && chars <= 2) where.push(`d.grams @> ARRAY[${param(term.text)}]::text[]`);
    else if (term.hangul) where.push(`d.grams @> ${param(bigramsOf(term.text))}::text[] AND ${text} LIKE ${like}`);
    else if (chars >= 3) where.push(`${text} LIKE ${like}`);
    else where.push(`d.tsv @@ to_tsquery('simple', ${param(`'${term.text}':*`)})`);
    score.push(titleColumn ? `(CASE WHEN ${titleColumn} ILIKE ${like} THEN 3 ELSE 0 END)` : '0');
    score.push(`(CASE WHEN d.content ILIKE ${like} THEN 1 ELSE 0 END)`);
  }
  // Terms are letters, digits and marks only (query.ts): safe inside a quoted lexeme.
  const tsquery = param(terms.map((t) => `'${t.text}':*`).join(' | '));
  score.push(`ts_rank(d.tsv, to_tsquery('simple', ${tsquery}))`);
  return { where, score, params };
}

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
    const built = buildMatch(query.terms, text, titleColumn);
    const window = built.params.push(Math.max(this.#rankWindow, query.offset + query.limit));
    const offset = built.params.push(query.offset);
    const limit = built.params.push(query.limit);
    const { rows } = await this.#pool.query<{ id: string; score: number }>(
      `WITH candidates AS MATERIALIZED (
         SELECT d.${idColumn} AS id FROM ${table} d
          WHERE ${built.where.join(' AND ')}
          ORDER BY d.${idColumn} DESC LIMIT $${window}
       )
       SELECT d.${idColumn}::text AS id, (${built.score.join(' + ')})::float8 AS score
         FROM candidates c JOIN ${table} d ON d.${idColumn} = c.id
        ORDER BY score DESC, d.created_at DESC, d.${idColumn} DESC
        OFFSET $${offset} LIMIT $${limit}`,
      built.params,
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
