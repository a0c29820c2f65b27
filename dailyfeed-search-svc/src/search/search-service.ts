/**
 * Search use cases: engine hits -> live content rows (deleted content never returned, even
 * when the index lags) -> author Summaries in one batch -> api.md shapes with `highlight`.
 * Ranked lists page by offset (api.md §1): `cursor` encodes the next offset; `page` is
 * accepted too.
 */
import type { Comment, Post, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { decodeCursorOrThrow, encodeCursor, OffsetCursor, pageSize, type Page, type PageQuery } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import type { ContentReader } from '../db/content-reader.ts';
import type { MemberReader } from '../db/member-reader.ts';
import { highlightOf } from '../engine/highlight.ts';
import { parseKeywordOrThrow } from '../engine/query.ts';
import type { SearchEngine } from '../engine/search-engine.ts';
import { commentOf, postOf } from './mappers.ts';

export type SearchPost = Post & { highlight: Record<string, string> };
export type SearchComment = Comment & { highlight: Record<string, string> };

/** Deep paging of a ranked list stops here (Meilisearch's maxTotalHits, the same for PostgreSQL). */
export const MAX_OFFSET = 10_000;

export function offsetOf(query: PageQuery, size: number): number {
  if (query.cursor) return Math.min(decodeCursorOrThrow(query.cursor, OffsetCursor).o, MAX_OFFSET);
  return Math.min((query.page ?? 0) * size, MAX_OFFSET);
}

function pageOf<T>(items: T[], fetched: number, size: number, offset: number): Page<T> {
  const hasNext = fetched > size && offset + size < MAX_OFFSET;
  return { content: items, size: items.length, hasNext, nextCursor: hasNext ? encodeCursor({ o: offset + size }) : null };
}

export class SearchService {
  readonly #engine: SearchEngine;
  readonly #content: ContentReader;
  readonly #members: MemberReader;

  constructor(deps: { engine: SearchEngine; content: ContentReader; members: MemberReader }) {
    this.#engine = deps.engine;
    this.#content = deps.content;
    this.#members = deps.members;
  }

  async searchPosts(keyword: string | undefined, query: PageQuery, viewerId: string): Promise<Page<SearchPost>> {
    const terms = parseKeywordOrThrow(keyword);
    const size = pageSize(query.size);
    const offset = offsetOf(query, size);
    const hits = await this.#engine.searchPosts({ keyword: (keyword ?? '').trim(), terms, offset, limit: size + 1 });
    const kept = hits.slice(0, size);
    const rows = await this.#content.postsByIds(kept.map((hit) => hit.id), viewerId);
    const authors = await this.#members.summaries([...rows.values()].map((row) => row.author_id));
    const items: SearchPost[] = [];
    for (const hit of kept) {
      const row = rows.get(hit.id);
      if (!row) continue; // deleted (or not visible) since it was indexed
      const highlight = hit.highlight && Object.keys(hit.highlight).length > 0 ? hit.highlight : highlightOf({ title: row.title, content: row.content }, terms);
      items.push({ ...postOf(row, authors), highlight });
    }
    return pageOf(items, hits.length, size, offset);
  }

  async searchComments(keyword: string | undefined, query: PageQuery, viewerId: string): Promise<Page<SearchComment>> {
    const terms = parseKeywordOrThrow(keyword);
    const size = pageSize(query.size);
    const offset = offsetOf(query, size);
    const hits = await this.#engine.searchComments({ keyword: (keyword ?? '').trim(), terms, offset, limit: size + 1 });
    const kept = hits.slice(0, size);
    const rows = await this.#content.commentsByIds(kept.map((hit) => hit.id), viewerId);
    const authors = await this.#members.summaries([...rows.values()].map((row) => row.author_id));
    const items: SearchComment[] = [];
    for (const hit of kept) {
      const row = rows.get(hit.id);
      if (!row) continue;
      const highlight = hit.highlight && Object.keys(hit.highlight).length > 0 ? hit.highlight : highlightOf({ content: row.content }, terms);
      items.push({ ...commentOf(row, authors), highlight });
    }
    return pageOf(items, hits.length, size, offset);
  }

  /** Members by handle or display-name prefix (an `@` before a handle is ignored). */
  async searchMembers(keyword: string | undefined, query: PageQuery): Promise<Page<Summary>> {
    const prefix = (keyword ?? '').trim().replace(/^@/, '');
    parseKeywordOrThrow(prefix);
    const size = pageSize(query.size);
    const offset = offsetOf(query, size);
    const found = await this.#members.searchByPrefix(prefix, offset, size + 1);
    return pageOf(found.slice(0, size), found.length, size, offset);
  }
}
