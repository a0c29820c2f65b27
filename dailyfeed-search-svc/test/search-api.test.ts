/**
 * The contract suite through the API, run against every engine present (PostgreSQL always;
 * Meilisearch when MEILI_URL is set, else skipped with the reason): content and member rows
 * are written to their tables, the events go through the shared publisher on a test topic
 * prefix, the indexer runs in-process (consumer group of its own), searches go through
 * app.inject with a token of the fake member-svc.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers, runId } from '../dailyfeed-shared/testing/servers.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { createActivityEvent, createKafka, KafkaEventPublisher, type ActivityEventType } from '../dailyfeed-shared/src/events/index.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { buildApp } from '../src/app.ts';
import { MeiliSearchEngine } from '../src/engine/meili-engine.ts';
import type { SearchEngine } from '../src/engine/search-engine.ts';
import { reindex } from '../src/indexer/reindexer.ts';
import { eventually, hangulWord, latinWord, testConfig } from './helpers.ts';
import { Fixtures } from './fixtures.ts';

const missingServer = await missingServers(['postgres', 'redis', 'kafka']);
const fixtures = !missingServer && process.env.PG_ADMIN_URL ? new Fixtures(process.env.PG_ADMIN_URL) : null;
const missingTables = missingServer ? null : fixtures ? await fixtures.missingTables() : 'SKIPPED: PG_ADMIN_URL is not set (fixtures of member and content rows need it)';
if (!missingServer && !fixtures) console.warn(missingTables);
const missing = missingServer ?? missingTables;
const meiliSkip = process.env.MEILI_URL ? null : 'SKIPPED: MEILI_URL is not set (no Meilisearch server here); the Meilisearch API contract did not run';

const engines: Array<{ name: string; skip: string | null; make?: () => SearchEngine }> = [
  { name: 'postgres', skip: missing },
  {
    name: 'meilisearch',
    skip: missing ?? meiliSkip,
    make: () => new MeiliSearchEngine({ url: process.env.MEILI_URL as string, apiKey: process.env.MEILI_KEY ?? '', indexPrefix: `test_${latinWord(8)}_`, flushMs: 5 }),
  },
];
if (!missing && meiliSkip) console.warn(meiliSkip);

for (const spec of engines) {
  describe.skipIf(spec.skip)(`search API contract: ${spec.name}`, () => {
    const run = runId();
    const prefix = `test-${run}-`;
    let app: ServiceApp;
    let members: FakeMemberService;
    let publisher: KafkaEventPublisher;
    let token: string;
    let authorId: string;
    const db = fixtures as Fixtures;
    const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '').split(','), clientId: `search-test-${run}` });

    const publish = (type: ActivityEventType, ids: { postId?: string; commentId?: string }) =>
      publisher.publish([createActivityEvent({ type, memberId: authorId, ...ids, timeZone: 'Asia/Seoul' })]);
    const search = async (kind: 'posts' | 'comments' | 'members', keyword: string, extra = '') => {
      const response = await app.inject({ method: 'GET', url: `/api/search/${kind}?keyword=${encodeURIComponent(keyword)}${extra}`, headers: { authorization: `Bearer ${token}` } });
      return response;
    };
    const idsOf = async (kind: 'posts' | 'comments', keyword: string) =>
      ((await search(kind, keyword)).json().data.content as Array<{ id: string }>).map((item) => item.id);

    beforeAll(async () => {
      members = await startFakeMemberService();
      authorId = await db.member({ handle: `author_${run}`, displayName: `Author ${run}` });
      token = members.tokenFor({ id: authorId, handle: `author_${run}` });
      publisher = new KafkaEventPublisher({ kafka, naming: { prefix, timeZone: 'Asia/Seoul' }, partitions: 1, replicationFactor: 1, acks: '1' });
      await publisher.ensureTopics();
      const config = testConfig({
        DATABASE_URL: process.env.DATABASE_URL as string,
        MEMBER_SVC_URL: members.url,
        DAILYFEED_TOPIC_PREFIX: prefix,
        SEARCH_INDEXER_ENABLED: 'true',
        SEARCH_CONSUMER_GROUP: `search-test-${run}`,
        SUMMARY_CACHE_TTL_MS: '0',
      });
      app = await buildApp(config, { logger: false, ...(spec.make ? { engine: spec.make() } : {}) });
      await app.searchSvc.consumer?.listener.refresh();
    });

    afterAll(async () => {
      const engine = app?.searchSvc.engine;
      await app?.close();
      if (engine instanceof MeiliSearchEngine) await engine.drop().catch(() => undefined);
      await publisher?.close();
      const admin = kafka.admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.deleteGroups([`search-test-${run}`]).catch(() => undefined);
      await admin.disconnect();
      await members?.close();
    });

    it('finds a new post by Korean (1-2 syllables) and English partial words within 5 s of the write', async () => {
      const stem = hangulWord(2);
      const word = latinWord(10);
      const postId = await db.post({ authorId, title: `${word} 이야기`, content: `${stem}에서 만나요. Meet me at ${word}ville` });
      await publish('POST_CREATE', { postId });
      const elapsed = await eventually(async () => (await idsOf('posts', stem)).includes(postId));
      expect(elapsed).toBeLessThan(5_000);
      expect(await idsOf('posts', word.slice(0, 6))).toContain(postId);
      expect(await idsOf('posts', `${stem}에서`)).toContain(postId);
      const body = (await search('posts', stem)).json();
      expect(body).toMatchObject({ status: 200, result: 'SUCCESS', data: { hasNext: false, nextCursor: null } });
      const item = body.data.content.find((p: { id: string }) => p.id === postId);
      expect(item).toMatchObject({
        id: postId,
        title: `${word} 이야기`,
        author: { id: authorId, handle: `author_${run}` },
        imageIds: [],
        liked: false,
        highlight: { content: `<em>${stem}</em>에서 만나요. Meet me at ${word}ville` },
      });
    });

    it('reflects an edit within 5 s (old words gone, new words found)', async () => {
      const before = latinWord(9);
      const after = latinWord(9);
      const postId = await db.post({ authorId, content: `draft ${before}` });
      await publish('POST_CREATE', { postId });
      await eventually(async () => (await idsOf('posts', before)).includes(postId));
      await db.updatePost(postId, { content: `final ${after}` });
      await publish('POST_UPDATE', { postId });
      const elapsed = await eventually(async () => (await idsOf('posts', after)).includes(postId));
      expect(elapsed).toBeLessThan(5_000);
      expect(await idsOf('posts', before)).not.toContain(postId);
    });

    it('removes a deleted post and its comments within 5 s; a late create does not resurrect it', async () => {
      const word = hangulWord(3);
      const postId = await db.post({ authorId, content: `${word} 게시글` });
      const commentId = await db.comment({ postId, authorId, content: `${word} 댓글` });
      await publish('POST_CREATE', { postId });
      await publish('COMMENT_CREATE', { commentId, postId });
      await eventually(async () => (await idsOf('comments', word)).includes(commentId) && (await idsOf('posts', word)).includes(postId));
      await db.deletePost(postId);
      await publish('POST_DELETE', { postId });
      const elapsed = await eventually(async () => !(await idsOf('posts', word)).includes(postId));
      expect(elapsed).toBeLessThan(5_000);
      // The index itself forgot them (not only the hydration filter).
      await eventually(async () => (await app.searchSvc.engine.searchComments({ keyword: word, terms: [{ text: word, hangul: true }], offset: 0, limit: 10 })).length === 0);
      expect(await idsOf('comments', word)).toEqual([]);
      await publish('POST_CREATE', { postId }); // a replayed create from an older topic
      await publish('COMMENT_UPDATE', { commentId, postId });
      const marker = await db.post({ authorId, content: `${word} marker` });
      await publish('POST_CREATE', { postId: marker });
      await eventually(async () => (await idsOf('posts', word)).includes(marker));
      expect(await idsOf('posts', word)).toEqual([marker]);
      expect((await app.searchSvc.engine.searchPosts({ keyword: word, terms: [{ text: word, hangul: true }], offset: 0, limit: 10 })).map((h) => h.id)).toEqual([marker]);
    });

    it('ranks a title hit over a body hit', async () => {
      const word = latinWord(9);
      const bodyHit = await db.post({ authorId, title: 'unrelated', content: `the body mentions ${word}` });
      const titleHit = await db.post({ authorId, title: `All about ${word}`, content: 'the body does not' });
      await publish('POST_CREATE', { postId: bodyHit });
      await publish('POST_CREATE', { postId: titleHit });
      await eventually(async () => (await idsOf('posts', word)).length === 2);
      expect(await idsOf('posts', word)).toEqual([titleHit, bodyHit]);
    });

    it('never returns deleted content, even while the index still has it', async () => {
      const word = latinWord(9);
      const postId = await db.post({ authorId, content: `stale ${word}` });
      await app.searchSvc.indexer.syncPosts([(await app.searchSvc.content.post(postId))!]);
      expect(await idsOf('posts', word)).toEqual([postId]);
      await db.deletePost(postId); // no event: the index lags
      expect(await idsOf('posts', word)).toEqual([]);
    });

    it('answers 400 for an empty keyword and 401 without a token', async () => {
      for (const url of ['/api/search/posts?keyword=', '/api/search/posts?keyword=%20%20', '/api/search/posts', '/api/search/comments?keyword=', '/api/search/members?keyword=']) {
        const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
        expect(response.statusCode, url).toBe(400);
        expect(response.json()).toMatchObject({ status: 400, result: 'FAIL', code: 'VALIDATION_FAILED' });
      }
      const bad = await app.inject({ method: 'GET', url: '/api/search/posts?keyword=x&cursor=@@@', headers: { authorization: `Bearer ${token}` } });
      expect(bad.statusCode).toBe(400);
      const anonymous = await app.inject({ method: 'GET', url: '/api/search/posts?keyword=x' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['x-relogin-required']).toBe('true');
    });

    it('pages ranked results with a cursor, without repeats', async () => {
      const word = latinWord(8);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await db.post({ authorId, content: `${word} ${i}` }));
      await app.searchSvc.indexer.syncPosts(await Promise.all(ids.map(async (id) => (await app.searchSvc.content.post(id))!)));
      const first = (await search('posts', word, '&size=3')).json().data;
      expect(first).toMatchObject({ size: 3, hasNext: true });
      const second = (await search('posts', word, `&size=3&cursor=${first.nextCursor}`)).json().data;
      expect(second).toMatchObject({ size: 2, hasNext: false, nextCursor: null });
      const byPage = (await search('posts', word, '&size=3&page=1')).json().data;
      expect(byPage.content).toEqual(second.content);
      expect(new Set([...first.content, ...second.content].map((p: { id: string }) => p.id))).toEqual(new Set(ids));
    });

    it('finds members by handle or display-name prefix, deactivated excluded', async () => {
      const stem = `m${latinWord(7)}`;
      const active = await db.member({ handle: `${stem}_one`, displayName: 'Someone', followers: 5 });
      const byName = await db.member({ handle: `zz${latinWord(8)}`, displayName: `${stem.toUpperCase()} Two` });
      await db.member({ handle: `${stem}_gone`, displayName: 'Gone', deactivated: true });
      const found = (await search('members', stem)).json().data.content as Array<{ id: string; handle: string }>;
      expect(found.map((m) => m.id).sort()).toEqual([active, byName].sort());
      expect((await search('members', `@${stem}_o`)).json().data.content.map((m: { id: string }) => m.id)).toEqual([active]);
    });

    it('exposes consumer lag and indexing delay in /metrics', async () => {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toMatch(/dailyfeed_consumer_lag\{[^}]*group="search-test-/);
      expect(text).toContain('search_index_delay_seconds_bucket');
    });

    it('reindex rebuilds a lost document from the database', async () => {
      const word = latinWord(9);
      const postId = await db.post({ authorId, content: `rebuild ${word}` });
      const { indexer, engine, ledger, content } = app.searchSvc;
      await indexer.syncPosts([(await content.post(postId))!]);
      await engine.deletePosts([postId]); // lost by the engine
      expect(await idsOf('posts', word)).toEqual([]);
      const result = await reindex({ content, engine, ledger, indexer });
      expect(result.posts).toBeGreaterThan(0);
      expect(await idsOf('posts', word)).toEqual([postId]);
    });
  });
}

afterAll(() => fixtures?.close());
