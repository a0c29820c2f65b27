/**
 * The engine contract, run against every engine present: PostgreSQL always (DATABASE_URL),
 * Meilisearch when MEILI_URL is set (else reported as skipped, never as passed).
 * Documents go in through the port; searches go through the port with query.ts terms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { createPool } from '../src/db/pool.ts';
import { MeiliSearchEngine } from '../src/engine/meili-engine.ts';
import { PostgresSearchEngine } from '../src/engine/postgres-engine.ts';
import { parseKeyword } from '../src/engine/query.ts';
import type { PostDocument, SearchEngine } from '../src/engine/search-engine.ts';
import { hangulWord, latinWord, newId } from './helpers.ts';

const missingPostgres = await missingServers(['postgres']);
const meiliSkip = process.env.MEILI_URL ? null : 'SKIPPED: MEILI_URL is not set (no Meilisearch server here); the Meilisearch engine contract did not run';
if (meiliSkip) console.warn(meiliSkip);

const engines: Array<{ name: string; skip: string | null; make: (pool: pg.Pool) => SearchEngine }> = [
  { name: 'postgres', skip: missingPostgres, make: (pool) => new PostgresSearchEngine(pool) },
  {
    name: 'meilisearch',
    skip: meiliSkip,
    make: () => new MeiliSearchEngine({ url: process.env.MEILI_URL as string, apiKey: process.env.MEILI_KEY ?? '', indexPrefix: `test_${latinWord(8)}_`, flushMs: 5 }),
  },
];

const at = (ms: number) => new Date(Date.UTC(2026, 10, 1) + ms);
const post = (fields: Partial<PostDocument> & { content: string }): PostDocument => ({
  id: newId(),
  authorId: '1',
  title: null,
  createdAt: at(0),
  updatedAt: at(0),
  ...fields,
});

for (const spec of engines) {
  describe.skipIf(spec.skip)(`search engine contract: ${spec.name}`, () => {
    let pool: pg.Pool;
    let engine: SearchEngine;
    const ids = (hits: Array<{ id: string }>) => hits.map((hit) => hit.id);
    const searchPosts = (keyword: string, limit = 50) => engine.searchPosts({ keyword, terms: parseKeyword(keyword), offset: 0, limit });
    const searchComments = (keyword: string) => engine.searchComments({ keyword, terms: parseKeyword(keyword), offset: 0, limit: 50 });

    beforeAll(async () => {
      pool = createPool(process.env.DATABASE_URL ?? 'postgresql://unused@127.0.0.1:1/x', 4);
      engine = spec.make(pool);
      await engine.init();
    });
    afterAll(async () => {
      if (engine instanceof MeiliSearchEngine) await engine.drop().catch(() => undefined);
      await engine?.close();
      await pool?.end();
    });

    it('finds a Korean word by its one- and two-syllable stem (서울 finds 서울에서)', async () => {
      const stem = hangulWord(2);
      const doc = post({ title: null, content: `${stem}에서 만나요. 오늘 날씨가 좋네요` });
      await engine.upsertPosts([doc]);
      expect(ids(await searchPosts(stem))).toContain(doc.id);
      expect(ids(await searchPosts(`${stem}에서`))).toContain(doc.id);
      expect(ids(await searchPosts(`${stem}에`))).toContain(doc.id);
      expect(ids(await searchPosts(stem.slice(0, 1)))).toContain(doc.id);
      expect(ids(await searchPosts(hangulWord(2)))).not.toContain(doc.id);
    });

    it('finds English words, whole and partial (prefix and infix), case-insensitively', async () => {
      const word = latinWord(10);
      const doc = post({ title: `The ${word.toUpperCase()} release`, content: `we shipped ${word}ing today` });
      await engine.upsertPosts([doc]);
      expect(ids(await searchPosts(word))).toContain(doc.id);
      expect(ids(await searchPosts(word.slice(0, 5)))).toContain(doc.id);
      if (spec.name === 'postgres') expect(ids(await searchPosts(word.slice(3, 8)))).toContain(doc.id); // infix: trigrams
      expect(ids(await searchPosts(`${word} release`))).toContain(doc.id);
      expect(ids(await searchPosts(`${word} ${latinWord(12)}`))).not.toContain(doc.id);
    });

    it('ranks a title hit over a body hit', async () => {
      const word = latinWord(9);
      const bodyHit = post({ title: 'nothing here', content: `a long body that mentions ${word} once`, createdAt: at(2), updatedAt: at(2) });
      const titleHit = post({ title: `About ${word}`, content: 'the body says something else', createdAt: at(1), updatedAt: at(1) });
      await engine.upsertPosts([bodyHit, titleHit]);
      const found = ids(await searchPosts(word));
      expect(found.indexOf(titleHit.id)).toBeGreaterThanOrEqual(0);
      expect(found.indexOf(titleHit.id)).toBeLessThan(found.indexOf(bodyHit.id));
    });

    it('reflects edits (newer version wins, an older one is ignored) and deletes', async () => {
      const before = latinWord(9);
      const after = latinWord(9);
      const doc = post({ content: `first ${before}`, updatedAt: at(10) });
      await engine.upsertPosts([doc]);
      await engine.upsertPosts([{ ...doc, content: `second ${after}`, updatedAt: at(20) }]);
      expect(ids(await searchPosts(after))).toContain(doc.id);
      expect(ids(await searchPosts(before))).not.toContain(doc.id);
      await engine.deletePosts([doc.id]);
      expect(ids(await searchPosts(after))).not.toContain(doc.id);
    });

    it('indexes comments and removes the comments of a deleted post', async () => {
      const word = hangulWord(3);
      const postId = newId();
      const c1 = { id: newId(), postId, authorId: '1', content: `${word} 좋아요`, createdAt: at(0), updatedAt: at(0) };
      const c2 = { id: newId(), postId, authorId: '1', content: `저도 ${word}!`, createdAt: at(1), updatedAt: at(1) };
      await engine.upsertComments([c1, c2]);
      expect(ids(await searchComments(word)).sort()).toEqual([c1.id, c2.id].sort());
      await engine.deleteComments([c1.id]);
      expect(ids(await searchComments(word))).toEqual([c2.id]);
      await engine.deleteCommentsOfPosts([postId]);
      expect(ids(await searchComments(word))).toEqual([]);
    });

    it('pages by offset without repeating', async () => {
      const word = latinWord(8);
      const docs = Array.from({ length: 5 }, (_, i) => post({ content: `${word} number ${i}`, createdAt: at(i), updatedAt: at(i) }));
      await engine.upsertPosts(docs);
      const first = await engine.searchPosts({ keyword: word, terms: parseKeyword(word), offset: 0, limit: 3 });
      const second = await engine.searchPosts({ keyword: word, terms: parseKeyword(word), offset: 3, limit: 3 });
      expect(first).toHaveLength(3);
      expect(second).toHaveLength(2);
      expect(new Set([...ids(first), ...ids(second)])).toEqual(new Set(docs.map((d) => d.id)));
    });
  });
}
