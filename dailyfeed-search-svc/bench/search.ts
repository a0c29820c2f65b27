/**
 * Benchmark (prints figures and ratios, asserts nothing):
 * 1. N posts (small: 20,000; full: 1,000,000) bulk-inserted (multi-row INSERT ... SELECT,
 *    generated in the server) into content.posts of a scratch database, with comments (N/4);
 * 2. a full reindex (--fresh) of the configured engine from those tables: documents/s;
 * 3. search requests/s and p95 against a Fastify hello-world route measured in the same run,
 *    over a rotating set of queries (Korean 1-2 syllables, a Korean word, English whole and
 *    partial, a frequent word, two words).
 *
 *   eval "$(bash ../dailyfeed-installer/local/infra.sh env dailyfeed_test)"
 *   npx tsx bench/search.ts --size small|full [--skip-reindex]    # npm run bench = small
 *   (--skip-reindex: reuse an index that already holds N posts, to measure queries only)
 *
 * Needs PG_ADMIN_URL (creates database dailyfeed_search_bench_<size>) and REDIS_URL (auth cache).
 * The service runs in this process on a loopback port, autocannon drives it from the same
 * process: absolute numbers are pessimistic on 2 cores; read the ratios.
 */
import Fastify from 'fastify';
import autocannon from 'autocannon';
import pg from 'pg';
import { startFakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { buildApp } from '../src/app.ts';
import { loadSearchConfig } from '../src/config.ts';
import { createPool } from '../src/db/pool.ts';
import { ContentReader } from '../src/db/content-reader.ts';
import { createEngine } from '../src/engine/create-engine.ts';
import { Indexer } from '../src/indexer/indexer.ts';
import { Ledger } from '../src/indexer/ledger.ts';
import { reindex } from '../src/indexer/reindexer.ts';
import { prepareScratchDatabase } from './scratch.ts';

const size = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'small';
if (size !== 'small' && size !== 'full') {
  console.error('usage: tsx bench/search.ts --size small|full');
  process.exit(2);
}
const N = size === 'full' ? 1_000_000 : 20_000;
const seconds = size === 'full' ? 20 : 8;
const connections = 10;
const adminUrl = process.env.PG_ADMIN_URL;
if (!adminUrl) {
  console.error('PG_ADMIN_URL is required (eval "$(bash ../dailyfeed-installer/local/infra.sh env dailyfeed_test)")');
  process.exit(2);
}
const log = (line: string) => console.error(`[bench] ${line}`);

// ---------- data ----------
const KOREAN = ['서울에서', '부산으로', '오늘은', '날씨가', '좋아요', '커피를', '마셨어요', '친구와', '함께', '산책을', '했습니다', '주말에', '영화를', '봤어요',
  '맛있는', '점심을', '먹었다', '회사에서', '일이', '많다', '여행을', '가고', '싶다', '한강', '공원', '사진을', '찍었어요', '음악을', '듣는', '중입니다',
  '새로운', '프로젝트', '시작했어요', '고양이가', '귀여워요', '강아지와', '놀았다', '도서관에서', '책을', '읽었어요', '운동을', '열심히', '제주도', '바다가', '예뻐요'];
const ENGLISH = ['the', 'a', 'and', 'of', 'to', 'in', 'is', 'it', 'for', 'on', 'with', 'today', 'coffee', 'weather', 'friends', 'walk', 'movie', 'lunch', 'office',
  'travel', 'river', 'park', 'photo', 'music', 'project', 'started', 'cat', 'dog', 'library', 'book', 'reading', 'running', 'island', 'ocean', 'beautiful',
  'typescript', 'postgres', 'search', 'engine', 'fastify', 'kafka', 'release', 'deploy', 'weekend', 'morning', 'evening', 'dinner', 'street', 'market', 'city'];
// A realistic spread: the common words above first, then 20,000 generated words (half Hangul,
// half latin); each word of a post is drawn log-uniformly over the ranks (about Zipf's law), so
// `the` is in most posts, `coffee` in about one in seven, a generated word of rank 10,000 in a
// few hundred of a million.
const rnd = (n: number) => Math.floor(Math.random() * n);
const hangulSyllable = () => String.fromCharCode(0xac00 + rnd(11172));
const GENERATED = Array.from({ length: 20_000 }, (_, i) =>
  i % 2 === 0 ? Array.from({ length: 2 + rnd(2) }, hangulSyllable).join('') : `${'bcdfghjklmnpqrstvwz'[rnd(19)]}${i.toString(36)}${'aeiou'[rnd(5)]}x`,
);
const WORDS = [...ENGLISH.slice(0, 11), ...KOREAN, ...ENGLISH.slice(11), ...GENERATED];
const MID = GENERATED[2_001]!; // rank about 2,100: latin
const RARE = GENERATED[15_001]!; // rank about 15,100: latin

async function load(url: string): Promise<void> {
  const db = new pg.Pool({ connectionString: url, max: 2 });
  const existing = Number((await db.query('SELECT count(*) AS n FROM content.posts')).rows[0].n);
  if (existing === N) {
    log(`content.posts already holds ${N} rows: reusing them`);
    await db.end();
    return;
  }
  await db.query('TRUNCATE content.posts, content.comments');
  const started = performance.now();
  const batch = 50_000;
  for (let from = 1; from <= N; from += batch) {
    const to = Math.min(N, from + batch - 1);
    // Text is generated in the server: 2-5 words for the title, 20-40 for the body, each drawn
    // log-uniformly over the vocabulary ranks.
    await db.query(
      `INSERT INTO content.posts (id, author_id, title, content, created_at, updated_at)
       SELECT g, 1 + g % 1000,
              (SELECT string_agg(($3::text[])[floor(exp(random() * ln($4)))::int], ' ') FROM generate_series(1, 2 + g % 4 + 0 * g)),
              (SELECT string_agg(($3::text[])[floor(exp(random() * ln($4)))::int], ' ') FROM generate_series(1, 20 + g % 21 + 0 * g)),
              now() - make_interval(secs => $2 - g), now() - make_interval(secs => $2 - g)
         FROM generate_series($1::bigint, $2::bigint) AS g`,
      [from, to, WORDS, WORDS.length],
    );
    log(`inserted posts ${to}/${N}`);
  }
  await db.query(
    `INSERT INTO content.comments (id, post_id, depth, author_id, content, created_at, updated_at)
     SELECT g, 1 + (g * 7) % $1, 0, 1 + g % 1000,
            (SELECT string_agg(($2::text[])[floor(exp(random() * ln($3)))::int], ' ') FROM generate_series(1, 5 + g % 10 + 0 * g)), now(), now()
       FROM generate_series(1, $1 / 4) AS g`,
    [N, WORDS, WORDS.length],
  );
  await db.query('ANALYZE content.posts; ANALYZE content.comments');
  log(`loaded ${N} posts and ${N / 4} comments in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await db.end();
}

// ---------- run ----------
const dbName = `dailyfeed_search_bench_${size}_v2`;
const url = await prepareScratchDatabase(adminUrl, dbName, log);
await load(url);

const base = {
  ...process.env,
  DATABASE_URL: url,
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:59092',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:56379',
  SEARCH_INDEXER_ENABLED: 'false',
  SEARCH_JOBS_ENABLED: 'false',
  LOG_LEVEL: 'silent',
};

// Full reindex (fresh): documents/s.
const pool = createPool(url, 4);
const reindexConfig = loadSearchConfig({ ...base, MEMBER_SVC_URL: 'http://unused' });
const engine = createEngine(reindexConfig, pool);
await engine.init();
const content = new ContentReader(pool);
const ledger = new Ledger(pool);
const indexer = new Indexer({ content, engine, ledger });
const skipReindex = process.argv.includes('--skip-reindex') && (await engine.count()).posts === N;
log(skipReindex ? 'index already holds N posts: --skip-reindex' : `full reindex (${engine.name}) of ${N} posts and ${N / 4} comments ...`);
let lastLog = 0;
const indexed = skipReindex ? { posts: 0, comments: 0, upserted: 0, deleted: 0, ms: 1 } : await reindex({ content, engine, ledger, indexer }, {
  fresh: true,
  batchSize: 5_000,
  onProgress: ({ kind, done }) => {
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`reindex: ${done} ${kind}s`);
    }
  },
});
await pool.query('ANALYZE search.post_documents; ANALYZE search.comment_documents');
await pool.end();
const docs = indexed.posts + indexed.comments;
const docsPerSecond = docs / (indexed.ms / 1000);
log(`reindexed ${docs} documents in ${(indexed.ms / 1000).toFixed(1)} s`);

// Query throughput against hello world.
const members = await startFakeMemberService();
const token = members.tokenFor({ id: '1', handle: 'bench' }, { ttlSeconds: 3_600 });
const app = await buildApp(loadSearchConfig({ ...base, MEMBER_SVC_URL: members.url }), { logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const hello = Fastify({ logger: false });
hello.get('/hello', async () => ({ hello: 'world' }));
await hello.listen({ port: 0, host: '127.0.0.1' });
const portOf = (server: { server: { address(): unknown } }) => (server.server.address() as { port: number }).port;

const QUERIES = ['서울', '서', '서울에서', '커피를 마셨어요', 'coffee', 'typescr', 'ript', MID, MID.slice(1, 5), RARE, 'the', 'beautiful ocean', '제주도 바다'];

interface Row { name: string; rps: number; p50: number; p95: number; p99: number; errors: number }

async function measure(name: string, port: number, paths: string[], headers: Record<string, string>): Promise<Row> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    duration: seconds,
    connections,
    headers,
    requests: paths.map((path) => ({ method: 'GET', path })),
  });
  // Without a callback, autocannon's return value is both the emitter and a promise of the result.
  (instance as unknown as { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void }).on(
    'response',
    (_client, _status, _bytes, responseTime) => latencies.push(responseTime),
  );
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { name, rps: result.requests.average, p50: at(0.5), p95: at(0.95), p99: at(0.99), errors: result.non2xx + result.errors + result.timeouts };
}

// Warm up the auth cache and the database pages once.
for (const q of QUERIES) await fetch(`http://127.0.0.1:${portOf(app)}/api/search/posts?keyword=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${token}` } });
const baseline = await measure('fastify hello world', portOf(hello), ['/hello'], {});
const postsRow = await measure('GET /api/search/posts (rotating queries)', portOf(app), QUERIES.map((q) => `/api/search/posts?keyword=${encodeURIComponent(q)}`), { authorization: `Bearer ${token}` });
const perQuery: Row[] = [];
for (const q of QUERIES) perQuery.push(await measure(`posts "${q}"`, portOf(app), [`/api/search/posts?keyword=${encodeURIComponent(q)}`], { authorization: `Bearer ${token}` }));

await app.close();
await hello.close();
await members.close();

const fmt = (n: number, d = 1) => n.toFixed(d);
console.log(`\nsearch-svc benchmark, size ${size}: ${N} posts + ${N / 4} comments, engine ${engine.name}, ${connections} connections, ${seconds} s per run`);
console.log(skipReindex ? 'full reindex: skipped (--skip-reindex; index reused)' : `full reindex: ${docs} documents in ${fmt(indexed.ms / 1000)} s = ${Math.round(docsPerSecond)} documents/s`);
console.log('\n| target | req/s | p50 ms | p95 ms | p99 ms | errors | req/s vs hello | p95 vs hello |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of [baseline, postsRow, ...perQuery]) {
  console.log(`| ${row.name} | ${fmt(row.rps, 0)} | ${fmt(row.p50)} | ${fmt(row.p95)} | ${fmt(row.p99)} | ${row.errors} | ${fmt(row.rps / baseline.rps, 3)} | ${fmt(row.p95 / Math.max(baseline.p95, 0.001))} |`);
}
// For the installer's bench/run.mjs table: the req/s ratio of each target, named (not guessed from the columns).
console.log(`BENCH_JSON ${JSON.stringify([postsRow, ...perQuery].map((row) => ({ scenario: row.name, metric: 'req/s', value: Math.round(row.rps), baseline: baseline.name, baselineValue: Math.round(baseline.rps), ratio: +(row.rps / baseline.rps).toFixed(3) })))}`);
if (!process.argv.includes('--keep') && size === 'small') log(`scratch database ${dbName} kept for reuse (drop it with: DROP DATABASE ${dbName})`);
process.exit(0);
