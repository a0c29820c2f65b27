/**
 * Uploads/s through image-svc (real HTTP, multipart, auth, storage, database) against the
 * bare sharp pipeline on the same files, in one run; and resident memory after N uploads.
 *   npx tsx bench/uploads.ts --size small|full     (full: 1,000 uploads)
 * Needs the test environment (DATABASE_URL, REDIS_URL, S3_*); prints a table, never asserts.
 */
import { performance } from 'node:perf_hooks';
import { ImagePipeline } from '../src/images/pipeline.ts';
import { fixtures, multipart, newMember, startTestApp, stopTestApp } from '../test/helpers.ts';

const size = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'small';
const uploads = size === 'full' ? 1000 : 60;
const concurrency = 4;

async function timeLoop(count: number, work: (i: number) => Promise<void>) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const files = [await fixtures.jpeg(), await fixtures.png(), await fixtures.webp()];
const ctx = await startTestApp({ IMAGE_PIPELINE_CONCURRENCY: '2' });
const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
const owner = newMember(ctx.member);
const pipeline = new ImagePipeline({ maxPixels: 40_000_000, concurrency: 2 });

// warm both paths
await pipeline.process(files[0]!);
const rssStart = process.memoryUsage().rss;

const bare = await timeLoop(uploads, async (i) => {
  await pipeline.process(files[i % files.length]!);
});
let failures = 0;
const service = await timeLoop(uploads, async (i) => {
  const body = multipart({ filename: 'bench.jpg', contentType: 'image/jpeg', data: files[i % files.length]! });
  const res = await fetch(`${address}/api/images/upload`, { method: 'POST', headers: { ...body.headers, authorization: `Bearer ${owner.token}` }, body: body.payload });
  if (res.status !== 201) failures += 1;
  await res.arrayBuffer();
});
const rssEnd = process.memoryUsage().rss;
await stopTestApp(ctx);

const row = (name: string, value: string, ratio = '') => console.log(`| ${name.padEnd(34)} | ${value.padStart(12)} | ${ratio.padStart(8)} |`);
console.log(`\nimage-svc uploads, size ${size}: ${uploads} uploads per path, ${concurrency} clients, 640x480 sources`);
row('path', 'uploads/s', 'ratio');
row('bare sharp pipeline (baseline)', bare.toFixed(1), '1.00');
row('through image-svc (HTTP+S3+PG)', service.toFixed(1), (service / bare).toFixed(2));
row('resident memory after uploads', `${(rssEnd / 1048576).toFixed(0)} MB`, `+${((rssEnd - rssStart) / 1048576).toFixed(0)} MB`);
if (failures) console.log(`${failures} uploads failed`);
console.log(JSON.stringify({ bench: 'image-uploads', size, uploads, bareUploadsPerSec: bare, serviceUploadsPerSec: service, ratio: service / bare, rssMb: rssEnd / 1048576, failures }));
process.exit(failures ? 1 : 0);
