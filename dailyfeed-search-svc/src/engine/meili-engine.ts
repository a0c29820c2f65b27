/**
 * The Meilisearch engine (the cluster's choice). Two indexes, `{prefix}posts` and
 * `{prefix}comments`, primary key `id`.
 * - Settings: searchable `title` before `content` (the `attribute` ranking rule puts a title
 *   hit over a body hit), filterable `authorId` / `postId` (a deleted post's comments leave by
 *   filter), sortable `createdAt`; typo tolerance on (one typo from 5 letters, two from 9;
 *   never on numbers); `localizedAttributes` declares Korean and English so charabia segments
 *   Korean with its Korean dictionary instead of guessing the language per document.
 * - Writes are batched: calls within `flushMs` (or up to `maxBatch` documents) share one
 *   documents task per index and kind; every caller's promise resolves only when Meilisearch
 *   reports its task succeeded (task polling), so the indexer commits a Kafka offset only once
 *   the document is searchable, and a failed task rejects (the event goes to the dead letters).
 * - Highlights: Meilisearch's `_formatted` with private markers, escaped and turned into <em>.
 */
import { Meilisearch, type EnqueuedTaskPromise, type Index, type Task } from 'meilisearch';
import type { CommentDocument, PostDocument, SearchEngine, SearchHit, SearchQuery } from './search-engine.ts';

interface MeiliPost {
  id: string;
  authorId: string;
  title: string;
  content: string;
  createdAt: number;
  updatedAt: number;
}
interface MeiliComment {
  id: string;
  postId: string;
  authorId: string;
  content: string;
  createdAt: number;
  updatedAt: number;
}

export interface MeiliEngineOptions {
  url: string;
  apiKey?: string;
  indexPrefix: string;
  flushMs?: number;
  maxBatch?: number;
  taskTimeoutMs?: number;
}

const PRE = '\u0001';
const POST = '\u0002';
const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const formatted = (text: unknown): string | null =>
  typeof text === 'string' && text.includes(PRE) ? escapeHtml(text).replaceAll(PRE, '<em>').replaceAll(POST, '</em>') : null;

type Op = { kind: 'upsert'; doc: Record<string, unknown> & { id: string } } | { kind: 'delete'; id: string } | { kind: 'deleteByFilter'; filter: string };
interface Pending {
  ops: Op[];
  waiters: Array<{ resolve(): void; reject(error: unknown): void }>;
}

/** Groups writes to one index into few tasks and resolves callers when their tasks succeeded. */
class BatchedWriter {
  readonly #index: Index;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #timeoutMs: number;
  #pending: Pending = { ops: [], waiters: [] };
  #timer: NodeJS.Timeout | undefined;

  constructor(index: Index, options: { flushMs: number; maxBatch: number; timeoutMs: number }) {
    this.#index = index;
    this.#flushMs = options.flushMs;
    this.#maxBatch = options.maxBatch;
    this.#timeoutMs = options.timeoutMs;
  }

  write(ops: Op[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.ops.push(...ops);
      this.#pending.waiters.push({ resolve, reject });
      if (this.#pending.ops.length >= this.#maxBatch) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
    });
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const { ops, waiters } = this.#pending;
    this.#pending = { ops: [], waiters: [] };
    if (ops.length === 0) return;
    try {
      // Consecutive operations of one kind go in one task; tasks run in enqueue order.
      const tasks: EnqueuedTaskPromise[] = [];
      let i = 0;
      while (i < ops.length) {
        const kind = ops[i]!.kind;
        let j = i;
        while (j < ops.length && ops[j]!.kind === kind && kind !== 'deleteByFilter') j++;
        if (kind === 'upsert') tasks.push(this.#index.addDocuments(ops.slice(i, j).map((op) => (op as Extract<Op, { kind: 'upsert' }>).doc)));
        else if (kind === 'delete') tasks.push(this.#index.deleteDocuments(ops.slice(i, j).map((op) => (op as Extract<Op, { kind: 'delete' }>).id)));
        else {
          tasks.push(this.#index.deleteDocuments({ filter: (ops[i] as Extract<Op, { kind: 'deleteByFilter' }>).filter }));
          j = i + 1;
        }
        i = j;
      }
      const done: Task[] = await Promise.all(tasks.map((task) => task.waitTask({ timeout: this.#timeoutMs, interval: 25 })));
      const failed = done.find((task) => task.status !== 'succeeded');
      if (failed) throw new Error(`meilisearch task ${failed.uid} ${failed.status}: ${failed.error?.message ?? 'no error message'}`);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}

export class MeiliSearchEngine implements SearchEngine {
  readonly name = 'meilisearch' as const;
  readonly #client: Meilisearch;
  readonly #posts: Index<MeiliPost>;
  readonly #comments: Index<MeiliComment>;
  readonly #postWriter: BatchedWriter;
  readonly #commentWriter: BatchedWriter;
  readonly #timeoutMs: number;

  constructor(options: MeiliEngineOptions) {
    this.#client = new Meilisearch({ host: options.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
    this.#posts = this.#client.index<MeiliPost>(`${options.indexPrefix}posts`);
    this.#comments = this.#client.index<MeiliComment>(`${options.indexPrefix}comments`);
    this.#timeoutMs = options.taskTimeoutMs ?? 30_000;
    const writer = { flushMs: options.flushMs ?? 20, maxBatch: options.maxBatch ?? 1_000, timeoutMs: this.#timeoutMs };
    this.#postWriter = new BatchedWriter(this.#posts as unknown as Index, writer);
    this.#commentWriter = new BatchedWriter(this.#comments as unknown as Index, writer);
  }

  async init(): Promise<void> {
    const common = {
      sortableAttributes: ['createdAt'],
      rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness', 'createdAt:desc'],
      typoTolerance: { enabled: true, disableOnNumbers: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 } },
      pagination: { maxTotalHits: 10_000 },
    };
    const tasks = [
      this.#client.createIndex(this.#posts.uid, { primaryKey: 'id' }),
      this.#client.createIndex(this.#comments.uid, { primaryKey: 'id' }),
    ];
    // An index that exists already fails its creation task: fine.
    await Promise.all(tasks.map((task) => task.waitTask({ timeout: this.#timeoutMs })));
    const settings = [
      this.#posts.updateSettings({
        ...common,
        searchableAttributes: ['title', 'content'],
        filterableAttributes: ['authorId'],
        displayedAttributes: ['id', 'title', 'content'],
        localizedAttributes: [{ attributePatterns: ['title', 'content'], locales: ['kor', 'eng'] }],
      }),
      this.#comments.updateSettings({
        ...common,
        searchableAttributes: ['content'],
        filterableAttributes: ['authorId', 'postId'],
        displayedAttributes: ['id', 'content'],
        localizedAttributes: [{ attributePatterns: ['content'], locales: ['kor', 'eng'] }],
      }),
    ];
    const done = await Promise.all(settings.map((task) => task.waitTask({ timeout: this.#timeoutMs })));
    const failed = done.find((task) => task.status !== 'succeeded');
    if (failed) throw new Error(`meilisearch settings task ${failed.uid} ${failed.status}: ${failed.error?.message ?? ''}`);
  }

  upsertPosts(docs: PostDocument[]): Promise<void> {
    return this.#postWriter.write(
      docs.map((d) => ({
        kind: 'upsert' as const,
        doc: { id: d.id, authorId: d.authorId, title: d.title ?? '', content: d.content, createdAt: d.createdAt.getTime(), updatedAt: d.updatedAt.getTime() },
      })),
    );
  }

  deletePosts(ids: string[]): Promise<void> {
    return this.#postWriter.write(ids.map((id) => ({ kind: 'delete' as const, id })));
  }

  upsertComments(docs: CommentDocument[]): Promise<void> {
    return this.#commentWriter.write(
      docs.map((d) => ({
        kind: 'upsert' as const,
        doc: { id: d.id, postId: d.postId, authorId: d.authorId, content: d.content, createdAt: d.createdAt.getTime(), updatedAt: d.updatedAt.getTime() },
      })),
    );
  }

  deleteComments(ids: string[]): Promise<void> {
    return this.#commentWriter.write(ids.map((id) => ({ kind: 'delete' as const, id })));
  }

  deleteCommentsOfPosts(postIds: string[]): Promise<void> {
    if (postIds.length === 0) return Promise.resolve();
    // Ids are decimal strings (validated upstream): safe inside the filter expression.
    return this.#commentWriter.write([{ kind: 'deleteByFilter', filter: `postId IN [${postIds.map((id) => JSON.stringify(id)).join(', ')}]` }]);
  }

  searchPosts(query: SearchQuery): Promise<SearchHit[]> {
    return this.#search(this.#posts as unknown as Index, query, ['title', 'content']);
  }

  searchComments(query: SearchQuery): Promise<SearchHit[]> {
    return this.#search(this.#comments as unknown as Index, query, ['content']);
  }

  async #search(index: Index, query: SearchQuery, fields: string[]): Promise<SearchHit[]> {
    const result = await index.search(query.keyword, {
      offset: query.offset,
      limit: query.limit,
      attributesToRetrieve: ['id', ...fields], // `_formatted` only carries retrieved attributes
      attributesToHighlight: fields,
      attributesToCrop: ['content'],
      cropLength: 30,
      highlightPreTag: PRE,
      highlightPostTag: POST,
      showRankingScore: true,
    });
    return result.hits.map((hit) => {
      const highlight: Record<string, string> = {};
      const formattedFields = (hit._formatted ?? {}) as Record<string, unknown>;
      for (const field of fields) {
        const snippet = formatted(formattedFields[field]);
        if (snippet !== null) highlight[field] = snippet;
      }
      return { id: String(hit.id), score: Number(hit._rankingScore ?? 0), highlight };
    });
  }

  async clear(): Promise<void> {
    const done = await Promise.all([this.#posts.deleteAllDocuments(), this.#comments.deleteAllDocuments()].map((t) => t.waitTask({ timeout: this.#timeoutMs })));
    const failed = done.find((task) => task.status !== 'succeeded');
    if (failed) throw new Error(`meilisearch clear task ${failed.uid} ${failed.status}`);
  }

  async count(): Promise<{ posts: number; comments: number }> {
    const [posts, comments] = await Promise.all([this.#posts.getStats(), this.#comments.getStats()]);
    return { posts: posts.numberOfDocuments, comments: comments.numberOfDocuments };
  }

  async ping(): Promise<void> {
    await this.#client.health();
  }

  async close(): Promise<void> {
    await Promise.all([this.#postWriter.flush(), this.#commentWriter.flush()]);
  }

  /** Tests: removes both indexes. */
  async drop(): Promise<void> {
    await Promise.all([this.#client.deleteIndex(this.#posts.uid), this.#client.deleteIndex(this.#comments.uid)].map((t) => t.waitTask({ timeout: this.#timeoutMs })));
  }
}
