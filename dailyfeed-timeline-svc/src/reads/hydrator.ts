/**
 * Turns ordered post ids into Posts in two queries whatever the page size: the rows with
 * view counts and `liked` (one query), and the authors' Summaries (cached, one query for the
 * misses). Deleted posts drop out here too, so a post deleted a moment ago never shows.
 */
import type { Comment, Post } from '../../dailyfeed-shared/src/contracts/api.ts';
import type { CommentRow, ContentRepo, PostRow } from '../db/content-repo.ts';
import type { SummaryReader } from '../members/summaries.ts';
import { commentOf, postOf } from './mappers.ts';

export class Hydrator {
  readonly #content: ContentRepo;
  readonly #summaries: SummaryReader;

  constructor(content: ContentRepo, summaries: SummaryReader) {
    this.#content = content;
    this.#summaries = summaries;
  }

  /** Posts in the order of `ids`; missing or deleted ones are left out. */
  async postsInOrder(ids: readonly string[], viewerId: string): Promise<Post[]> {
    const rows = await this.#content.postsByIds(ids, viewerId);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const ordered = ids.map((id) => byId.get(id)).filter((row): row is PostRow => row !== undefined);
    return this.posts(ordered);
  }

  async posts(rows: readonly PostRow[]): Promise<Post[]> {
    const authors = await this.#summaries.byIds(rows.map((row) => row.author_id));
    return rows.map((row) => postOf(row, authors));
  }

  async comments(rows: readonly CommentRow[]): Promise<Comment[]> {
    const authors = await this.#summaries.byIds(rows.map((row) => row.author_id));
    return rows.map((row) => commentOf(row, authors));
  }
}
