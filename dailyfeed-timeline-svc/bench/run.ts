/**
 * timeline-svc benchmark, all figures from one run on the same data:
 *   1. the follow feed (cached fan-out + hybrid pull) vs the original's pull query (same endpoint,
 *      `?impl=naive`) vs a Fastify hello-world route, and vs the same route with the feed taken
 *      out (same app factory, auth and page bytes sent from memory: the ceiling of any feed here);
 *   2. most popular at 10% of the posts vs at all of them (default 100,000 vs 1,000,000).
 * Prints a table and saves JSON. Ratios are reported against the issue's goals, never asserted.
 *
 *   npx tsx bench/run.ts --size small|full [--out file.json] [--database-url URL] [--duration s]
 *
 * Database: --database-url (a role that may write member.* and content.*, where the member,
 * content and timeline migrations are applied), else a fresh database `dailyfeed_bench`
 * created through PG_ADMIN_URL and migrated with each service's `dist/migrate.js`.
 * Redis: REDIS_URL with database index BENCH_REDIS_DB (default 8), flushed at start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startFakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { prng, seedMembers, seedPosts, SIZES } from './seed.ts';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '..');

function args(): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i++) {
    const key = String(process.argv[i]);
    if (!key.startsWith('--')) continue;
    out.set(key.slice(2), String(process.argv[i + 1] ?? ''));
    i++;
  }
  return out;
}

const log = (line: string) => console.error(`[bench] ${line}`);

async function prepareDatabase(explicit: string | undefined): Promise<string> {
  if (explicit) return explicit;
  const admin = process.env.PG_ADMIN_URL;
  if (!admin) throw new Error('give --database-url, or PG_ADMIN_URL to create the database dailyfeed_bench');
  const url = new URL(admin);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query('DROP DATABASE IF EXISTS dailyfeed_bench WITH (FORCE)');
  await client.query(`CREATE DATABASE dailyfeed_bench TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`);
  await client.end();
  url.pathname = '/dailyfeed_bench';
  const target = url.toString();
  for (const svc of ['member', 'content', 'timeline']) {
    const dir = path.resolve(ROOT, '..', `dailyfeed-${svc}-svc`);
    const schemaSetup = new pg.Client({ connectionString: target });
    await schemaSetup.connect();
    await schemaSetup.query(`CREATE SCHEMA IF NOT EXISTS ${svc}`);
    await schemaSetup.end();
    const result = spawnSync('node', ['dist/migrate.js'], { cwd: dir, env: { ...process.env, DATABASE_URL: target }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`migrating ${svc} failed (build dailyfeed-${svc}-svc first): ${result.stderr || result.stdout}`);
    log(`${svc}: ${result.stdout.trim()}`);
  }
  return target;
}

/**
 * The targets run as the service ships: bench/server.ts bundled by the same tool and options as
 * `npm run bundle` (dist/server.js), run by plain node, not through tsx's on-the-fly transform.
 */
function bundleTarget(): string {
  const outdir = path.join('bench-results', '.target');
  const result = spawnSync(process.execPath, ['dailyfeed-shared/tools/bundle.mjs', '--outdir', outdir, '--outbase', 'bench', 'bench/server.ts'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bundling bench/server.ts failed: ${result.stderr || result.stdout}`);
  return path.join(ROOT, outdir, 'server.js');
}

function startTarget(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    // BENCH_PROFILE_DIR: each target writes a V8 CPU profile there on exit (where the time goes).
    const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    const child = spawn(process.execPath, [...profile, script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const match = /listening (\d+)/.exec(buffer);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`bench target exited with ${code}`)));
  });
}

interface Measured {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function measure(name: string, port: number, requests: Array<{ path: string; headers?: Record<string, string> }>, duration: number, connections: number): Promise<Measured> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: requests.map((r) => ({ method: 'GET', path: r.path, ...(r.headers ? { headers: r.headers } : {}) })),
  });
  const measured = {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  log(`${name}: ${measured.requestsPerSecond} req/s, p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms${measured.non2xx ? `, ${measured.non2xx} non-2xx` : ''}`);
  return measured;
}

/** The page memo's answers so far by result (null: no memo). */
async function memoAnswers(port: number): Promise<Record<string, number> | null> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const answers: Record<string, number> = {};
  for (const match of text.matchAll(/^timeline_feed_page_memo_total\{result="(\w+)"[^}]*\} (\d+)/gm)) answers[match[1] as string] = Number(match[2]);
  if (Object.keys(answers).length === 0) return null;
  answers.joined = Number(/^timeline_feed_page_memo_joined_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  return answers;
}

/** Feed and hello world are measured this many times each, alternating; the medians count. */
const ROUNDS = 3;

/** The item with the median value (a round with its latencies, or a ratio). */
function medianOf<T>(items: readonly T[], value: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor(sorted.length / 2)] as T;
}

async function waitRankingsReady(redis: Redis, port: number, headers: Record<string, string>): Promise<number> {
  const started = Date.now();
  await fetch(`http://127.0.0.1:${port}/api/timeline/posts/most-popular?window=30d`, { headers }); // starts the rebuild
  while ((await redis.exists('tl:rank:ready')) === 0) {
    if (Date.now() - started > 600_000) throw new Error('rankings not rebuilt within 10 min');
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - started;
}

async function main(): Promise<void> {
  const a = args();
  const sizeName = (a.get('size') ?? 'small') as keyof typeof SIZES;
  const size = SIZES[sizeName];
  if (!size) throw new Error('--size small|full');
  const duration = Number(a.get('duration') ?? (sizeName === 'small' ? 2 : 10));
  const connections = Number(a.get('connections') ?? 16);
  const out = a.get('out') ?? path.join(ROOT, 'bench-results', `timeline-${sizeName}.json`);
  const started = Date.now();

  const databaseUrl = await prepareDatabase(a.get('database-url') ?? process.env.BENCH_DATABASE_URL);
  const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  redisUrl.pathname = `/${process.env.BENCH_REDIS_DB ?? '8'}`;
  const redis = new Redis(redisUrl.toString());
  await redis.flushdb();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const fake = await startFakeMemberService();
  const children: ChildProcess[] = [];
  try {
    const firstPosts = Math.round(size.posts / 10);
    const seeded = await seedMembers(pool, { ...size, seed: 42, log });
    await seedPosts(pool, seeded.ids, firstPosts, log);

    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl.toString(),
      MEMBER_SVC_URL: fake.url,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9',
      TIMELINE_CONSUMER_ENABLED: 'false',
      TIMELINE_JOBS_ENABLED: 'false',
      TIMELINE_NAIVE_FEED_ENABLED: 'true',
      DATABASE_POOL_SIZE: '16',
    };
    const target = bundleTarget();
    const timeline = await startTarget(target, env);
    children.push(timeline.child);

    // Readers: a random sample of members who follow someone (realistic followings mix).
    const random = prng(7);
    const withFollowings = seeded.ids.filter((id) => (seeded.followings.get(id) ?? 0) > 0);
    const readers = Array.from({ length: Math.min(200, withFollowings.length) }, () => withFollowings[Math.floor(random() * withFollowings.length)] as string);
    const headersOf = (id: string) => ({ authorization: `Bearer ${fake.tokenFor({ id }, { ttlSeconds: 86_400 })}` });
    const readerHeaders = readers.map(headersOf);
    const rankingRequests = readerHeaders.map((headers) => ({ path: '/api/timeline/posts/most-popular?window=30d', headers }));

    const rebuild1 = await waitRankingsReady(redis, timeline.port, readerHeaders[0] as Record<string, string>);
    log(`rankings rebuilt at ${firstPosts} posts in ${rebuild1} ms`);
    await measure('warm-up', timeline.port, rankingRequests, 1, connections);
    const rankSmall = await measure(`most popular (30d) at ${firstPosts} posts`, timeline.port, rankingRequests, duration, connections);

    await seedPosts(pool, seeded.ids, size.posts - firstPosts, log);
    await redis.del('tl:rank:ready');
    const rebuild2 = await waitRankingsReady(redis, timeline.port, readerHeaders[0] as Record<string, string>);
    log(`rankings rebuilt at ${size.posts} posts in ${rebuild2} ms`);
    await measure('warm-up', timeline.port, rankingRequests, 1, connections);
    const rankFull = await measure(`most popular (30d) at ${size.posts} posts`, timeline.port, rankingRequests, duration, connections);

    const feedRequests = readerHeaders.map((headers) => ({ path: '/api/timeline/posts/followings?size=20', headers }));
    const naiveRequests = readerHeaders.map((headers) => ({ path: '/api/timeline/posts/followings?size=20&impl=naive', headers }));
    for (const headers of readerHeaders) await fetch(`http://127.0.0.1:${timeline.port}/api/timeline/posts/followings?size=20`, { headers }); // cached sets built
    // Feed and hello world alternate (ROUNDS each, medians kept): the machine's speed drifts
    // between minutes by more than the goal's margin, so the two are measured side by side.
    const hello = await startTarget(target, { BENCH_TARGET: 'hello' });
    children.push(hello.child);
    await measure('warm-up', hello.port, [{ path: '/hello' }], 1, connections);
    await measure('warm-up', timeline.port, feedRequests, 1, connections);
    const feedRounds: Measured[] = [];
    const helloRounds: Measured[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      feedRounds.push(await measure(`follow feed (fan-out + hybrid pull), round ${round}`, timeline.port, feedRequests, duration, connections));
      helloRounds.push(await measure(`fastify hello world, round ${round}`, hello.port, [{ path: '/hello' }], duration, connections));
    }
    const feed = { ...medianOf(feedRounds, (r) => r.requestsPerSecond), name: 'follow feed (fan-out + hybrid pull)' };
    const helloWorld = { ...medianOf(helloRounds, (r) => r.requestsPerSecond), name: 'fastify hello world' };
    const roundRatios = feedRounds.map((f, i) => +(f.requestsPerSecond / Math.max(1, (helloRounds[i] as Measured).requestsPerSecond)).toFixed(3));
    log(`feed / hello world by round: ${roundRatios.join(', ')}`);
    const answers = await memoAnswers(timeline.port);
    // Every ask is one of hit / absent / expired / lapsed; a miss may then join a build in flight.
    const asked = answers ? (answers.hit ?? 0) + (answers.absent ?? 0) + (answers.expired ?? 0) + (answers.lapsed ?? 0) : 0;
    const memo = answers && asked > 0 ? ((answers.hit ?? 0) + (answers.joined ?? 0)) / asked : null;
    log(`page memo: ${memo === null ? 'off' : `${(memo * 100).toFixed(1)}% of feed pages sent without a build of their own (${JSON.stringify(answers)})`}`);
    const naive = await measure('follow feed, naive IN (followings)', timeline.port, naiveRequests, duration, connections);

    // The same feed with the page memo skipped (`?impl=built`, same process, same warm caches):
    // every page built, what a reader who never asks twice within FEED_PAGE_MEMO_MS costs.
    const builtRequests = readerHeaders.map((headers) => ({ path: '/api/timeline/posts/followings?size=20&impl=built', headers }));
    const unmemoised = await measure('follow feed, page memo skipped (every page built)', timeline.port, builtRequests, duration, connections);

    // The ceiling: a real page of the feed (reader 0's) served by the same app and auth from memory.
    const pageDir = mkdtempSync(path.join(os.tmpdir(), 'dailyfeed-bench-'));
    const pageFile = path.join(pageDir, 'page.json');
    writeFileSync(pageFile, await (await fetch(`http://127.0.0.1:${timeline.port}/api/timeline/posts/followings?size=20`, { headers: readerHeaders[0] as Record<string, string> })).text());
    const ceilingTarget = await startTarget(target, { ...env, BENCH_TARGET: 'ceiling', BENCH_PAGE_FILE: pageFile });
    children.push(ceilingTarget.child);
    await measure('warm-up', ceilingTarget.port, feedRequests, 1, connections);
    const ceiling = await measure('same route, page from memory (no feed work)', ceilingTarget.port, feedRequests, duration, connections);
    rmSync(pageDir, { recursive: true, force: true });

    const { rows } = await pool.query<{ max: number; p50: number }>(
      'SELECT max(followers_count) AS max, percentile_cont(0.5) WITHIN GROUP (ORDER BY followings_count) AS p50 FROM member.members WHERE id = ANY($1::bigint[])',
      [seeded.ids],
    );
    const ratios = {
      feedVsNaive: +(feed.requestsPerSecond / Math.max(1, naive.requestsPerSecond)).toFixed(2),
      // The median of the rounds' ratios: each round's feed and hello world ran a minute apart at most.
      feedVsHello: medianOf(roundRatios, (ratio) => ratio),
      rankingsFullVsTenth: +(rankFull.requestsPerSecond / Math.max(1, rankSmall.requestsPerSecond)).toFixed(2),
      unmemoisedVsHello: +(unmemoised.requestsPerSecond / Math.max(1, helloWorld.requestsPerSecond)).toFixed(3),
      feedVsCeiling: +(feed.requestsPerSecond / Math.max(1, ceiling.requestsPerSecond)).toFixed(3),
      ceilingVsHello: +(ceiling.requestsPerSecond / Math.max(1, helloWorld.requestsPerSecond)).toFixed(3),
    };
    const goals = { feedVsNaive: ratios.feedVsNaive >= 10, feedVsHello: ratios.feedVsHello >= 0.25, rankingsFullVsTenth: ratios.rankingsFullVsTenth >= 0.8 };
    const report = {
      size: sizeName,
      dataSet: { members: size.members, posts: size.posts, follows: await pool.query('SELECT count(*)::int AS n FROM member.follows WHERE follower_id = ANY($1::bigint[])', [seeded.ids]).then((r) => r.rows[0].n), maxFollowers: rows[0]?.max, medianFollowings: rows[0]?.p50, readers: readers.length },
      settings: { durationSeconds: duration, connections, hybridThreshold: 10_000, feedCacheSize: 800 },
      results: [feed, naive, unmemoised, ceiling, helloWorld, rankSmall, rankFull],
      pageMemoHitRate: memo,
      feedVsHelloByRound: roundRatios,
      ratios,
      goals,
      rankingsRebuildMs: { tenth: rebuild1, full: rebuild2 },
      tookSeconds: Math.round((Date.now() - started) / 1000),
      at: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    };
    printTable(report.results, ratios, goals);
    // For the installer's bench/run.mjs table: named ratios, not guessed from the columns.
    const row = (scenario: string, value: Measured, baseline: Measured) => ({ scenario, metric: 'req/s', value: value.requestsPerSecond, baseline: baseline.name, baselineValue: baseline.requestsPerSecond, ratio: +(value.requestsPerSecond / Math.max(1, baseline.requestsPerSecond)).toFixed(3) });
    console.log(`BENCH_JSON ${JSON.stringify([
      row('follow feed vs naive IN (goal >= 10)', feed, naive),
      { ...row('follow feed vs hello world (goal >= 0.25, median of alternating rounds)', feed, helloWorld), ratio: ratios.feedVsHello },
      row('most popular 30d, all posts vs a tenth (goal >= 0.8)', rankFull, rankSmall),
      row('follow feed, page memo off, vs hello world', unmemoised, helloWorld),
      row('follow feed vs the same route without the feed', feed, ceiling),
      row('the same route without the feed vs hello world', ceiling, helloWorld),
    ])}`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    log(`saved ${out} (${report.tookSeconds} s)`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await fake.close();
    await pool.end();
    redis.disconnect();
  }
}

function printTable(results: Measured[], ratios: Record<string, number>, goals: Record<string, boolean>): void {
  const lines = ['| scenario | req/s | p50 ms | p99 ms | non-2xx |', '|---|---:|---:|---:|---:|'];
  for (const r of results) lines.push(`| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx + r.errors} |`);
  lines.push('', '| ratio | value | goal | met |', '|---|---:|---:|---|');
  lines.push(`| feed / naive | ${ratios.feedVsNaive} | >= 10 | ${goals.feedVsNaive ? 'yes' : 'no'} |`);
  lines.push(`| feed / hello world (median of ${ROUNDS} alternating rounds) | ${ratios.feedVsHello} | >= 0.25 | ${goals.feedVsHello ? 'yes' : 'no'} |`);
  lines.push(`| rankings all posts / a tenth | ${ratios.rankingsFullVsTenth} | >= 0.8 | ${goals.rankingsFullVsTenth ? 'yes' : 'no'} |`);
  lines.push(`| feed with the page memo off / hello world | ${ratios.unmemoisedVsHello} | (reference) | |`);
  lines.push(`| feed / same route without the feed | ${ratios.feedVsCeiling} | (reference) | |`);
  lines.push(`| same route without the feed / hello world | ${ratios.ceilingVsHello} | (reference: the most any feed reaches here) | |`);
  console.log(lines.join('\n'));
}

await main();
