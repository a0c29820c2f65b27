/**
 * Posts/s and likes/s with publishing on (outbox + nudged relay to Kafka) against the same
 * writes with publishing off (outbox rows only, relay off), in one run: the ratio is the cost
 * of publishing at once. Each mode runs twice, alternating (off, on, off, on), after a warm-up,
 * so neither profits from a warmer JIT or cache; the figures are the means.
 *   npx tsx bench/writes.ts --size small|full
 * Needs the test environment (DATABASE_URL, REDIS_URL, KAFKA_BROKERS); prints a table and
 * one JSON line. Never asserts times; exits 1 only when a write failed.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startTestApp } from '../test/helpers.ts';

const size = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'small';
const writes = size === 'full' ? 4000 : 400;
const concurrency = 8;
const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });

async function run(relayEnabled: boolean) {
  const ctx = await startTestApp({ CONTENT_RELAY_ENABLED: String(relayEnabled) });
  const author = ctx.newMember();
  const likers = Array.from({ length: 50 }, () => ctx.newMember());
  const loop = async (count: number, work: (i: number) => Promise<number>) => {
    let next = 0;
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) if ((await work(next++)) >= 300) failed += 1;
      }),
    );
    return { perSec: count / ((performance.now() - started) / 1000), failed };
  };
  await loop(50, (i) => ctx.app.inject({ method: 'POST', url: '/api/posts', headers: author.auth, payload: { content: `warm-up ${i}` } }).then((res) => res.statusCode));
  const postIds: string[] = [];
  const posts = await loop(writes, async (i) => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: author.auth, payload: { content: `bench post ${i}` } });
    if (res.statusCode === 201) postIds.push(res.json().data.id);
    return res.statusCode;
  });
  const likes = await loop(writes, async (i) => {
    const res = await ctx.app.inject({ method: 'POST', url: `/api/posts/${postIds[i % postIds.length]}/like`, headers: likers[Math.floor(i / postIds.length) % likers.length]!.auth });
    return res.statusCode;
  });
  // How far publishing lagged when the writes stopped, and how long the rest took.
  const pendingQuery = `SELECT count(*)::int AS n FROM content.outbox_events WHERE published_at IS NULL AND payload->>'postId' = ANY($1)`;
  const pendingAtEnd = (await db.query(pendingQuery, [postIds])).rows[0].n as number;
  const drainStarted = performance.now();
  if (relayEnabled) await ctx.app.relay.flush();
  const drainMs = relayEnabled ? performance.now() - drainStarted : null;
  if (!relayEnabled) {
    // Not for any topic: leave nothing for a later relay to publish.
    await db.query(`DELETE FROM content.outbox_events WHERE published_at IS NULL AND payload->>'postId' = ANY($1)`, [postIds]);
  }
  await ctx.close();
  return { posts, likes, pendingAtEnd, drainMs };
}

type Round = { relayEnabled: boolean } & Awaited<ReturnType<typeof run>>;
const rounds: Round[] = [];
for (const relayEnabled of [false, true, false, true]) rounds.push({ relayEnabled, ...(await run(relayEnabled)) });
await db.end();
const mean = (on: boolean, pick: (r: Round) => number) => {
  const picked = rounds.filter((r) => r.relayEnabled === on).map(pick);
  return picked.reduce((a, b) => a + b, 0) / picked.length;
};
const off = { posts: mean(false, (r) => r.posts.perSec), likes: mean(false, (r) => r.likes.perSec) };
const on = { posts: mean(true, (r) => r.posts.perSec), likes: mean(true, (r) => r.likes.perSec) };
const onRounds = rounds.filter((r) => r.relayEnabled);

const row = (name: string, a: string, b: string, c: string) => console.log(`| ${name.padEnd(10)} | ${a.padStart(16)} | ${b.padStart(15)} | ${c.padStart(6)} |`);
console.log(`\ncontent-svc writes, size ${size}: ${writes} posts then ${writes} likes per round, ${concurrency} concurrent, in-process inject, 2 rounds per mode`);
console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
row('write', 'publishing off/s', 'publishing on/s', 'ratio');
row('posts', off.posts.toFixed(0), on.posts.toFixed(0), (on.posts / off.posts).toFixed(2));
row('likes', off.likes.toFixed(0), on.likes.toFixed(0), (on.likes / off.likes).toFixed(2));
console.log(
  `publishing on: ${onRounds.map((r) => r.pendingAtEnd).join(' / ')} of ${2 * writes} events still unpublished when the writes stopped; published within ${onRounds.map((r) => r.drainMs!.toFixed(0)).join(' / ')} ms after`,
);
const failed = rounds.reduce((sum, r) => sum + r.posts.failed + r.likes.failed, 0);
console.log(JSON.stringify({ bench: 'content-writes', size, writes, concurrency, off, on, postsRatio: on.posts / off.posts, likesRatio: on.likes / off.likes, rounds, failed }));
process.exit(failed ? 1 : 0);
