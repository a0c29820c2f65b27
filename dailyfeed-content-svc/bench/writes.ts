/**
 * Posts/s and likes/s with publishing on (outbox + relay to Kafka) against the same writes
 * with publishing off (outbox rows only), in one run: the ratio is the cost of the guarantee.
 *   npx tsx bench/writes.ts --size small|full
 * Needs the test environment (DATABASE_URL, REDIS_URL, KAFKA_BROKERS); prints a table.
 */
import { performance } from 'node:perf_hooks';
import { startTestApp } from '../test/helpers.ts';

const size = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'small';
const writes = size === 'full' ? 5000 : 400;
const concurrency = 8;

async function run(relayEnabled: boolean) {
  const ctx = await startTestApp({ CONTENT_RELAY_ENABLED: String(relayEnabled) });
  const author = ctx.newMember();
  const likers = Array.from({ length: 50 }, () => ctx.newMember());
  const loop = async (count: number, work: (i: number) => Promise<number>) => {
    let next = 0;
    let failed = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) if ((await work(next++)) >= 300) failed += 1;
    }));
    return { perSec: count / ((performance.now() - started) / 1000), failed };
  };
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
  if (relayEnabled) await ctx.app.relay.flush();
  await ctx.close();
  return { posts, likes };
}

const off = await run(false);
const on = await run(true);
const row = (name: string, a: string, b: string, c: string) => console.log(`| ${name.padEnd(10)} | ${a.padStart(16)} | ${b.padStart(15)} | ${c.padStart(6)} |`);
console.log(`\ncontent-svc writes, size ${size}: ${writes} each, ${concurrency} concurrent (in-process inject)`);
row('write', 'publishing off/s', 'publishing on/s', 'ratio');
row('posts', off.posts.perSec.toFixed(0), on.posts.perSec.toFixed(0), (on.posts.perSec / off.posts.perSec).toFixed(2));
row('likes', off.likes.perSec.toFixed(0), on.likes.perSec.toFixed(0), (on.likes.perSec / off.likes.perSec).toFixed(2));
const failed = off.posts.failed + off.likes.failed + on.posts.failed + on.likes.failed;
console.log(JSON.stringify({ bench: 'content-writes', size, writes, off, on, postsRatio: on.posts.perSec / off.posts.perSec, likesRatio: on.likes.perSec / off.likes.perSec, failed }));
process.exit(failed ? 1 : 0);
