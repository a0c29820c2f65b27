/**
 * Uploads/s through image-svc (real HTTP, multipart, auth, storage, database) against the
 * bare sharp pipeline on the same files, in one run; and resident memory along N uploads.
 *   npx tsx bench/uploads.ts --size small|full     (full: 1,000 uploads per path and set)
 * Needs the test environment (DATABASE_URL, REDIS_URL, S3_*); prints tables, never asserts.
 *
 * Two sets of files: `web` (640x480 JPEG, PNG, WebP: the pipeline is cheap, so the service's own
 * costs weigh most: the conservative ratio) and `photo` (a 3000x2000 JPEG, a phone photo).
 * The client, the service, MinIO and PostgreSQL share this machine's cores: the ratio includes
 * the CPU they take from sharp.
 */
import { performance } from 'node:perf_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { ImagePipeline } from '../src/images/pipeline.ts';
import { fixtures, multipart, newMember, picture, startTestApp, stopTestApp } from '../test/helpers.ts';

const size = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'small';
const uploads = size === 'full' ? 1000 : 60;
const photoUploads = size === 'full' ? 200 : 12;
const clients = 4;
const pipelineConcurrency = 2;
const mb = (bytes: number) => bytes / 1048576;

/** CPU seconds used so far by every process of the given names (Linux /proc; 0 elsewhere). */
function cpuOf(names: string[]): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (!names.includes(comm)) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return 0;
  }
  return ticks / 100; // USER_HZ
}
const selfCpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
/** CPU milliseconds per upload spent by this process, the object store and the database during `run`. */
async function cpuPerUpload<T>(count: number, run: () => Promise<T>) {
  const before = { self: selfCpu(), store: cpuOf(['minio']), db: cpuOf(['postgres']) };
  const result = await run();
  const per = (now: number, then: number) => ((now - then) * 1000) / count;
  return { result, cpuMs: { process: per(selfCpu(), before.self), minio: per(cpuOf(['minio']), before.store), postgres: per(cpuOf(['postgres']), before.db) } };
}

async function timeLoop(count: number, work: (i: number) => Promise<void>, onProgress?: (done: number) => void) {
  let next = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        await work(next++);
        done += 1;
        onProgress?.(done);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const sets = {
  web: [await fixtures.jpeg(), await fixtures.png(), await fixtures.webp()],
  photo: [await picture(3000, 2000).jpeg({ quality: 90 }).toBuffer()],
};
const ctx = await startTestApp({ IMAGE_PIPELINE_CONCURRENCY: String(pipelineConcurrency) });
const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
const owner = newMember(ctx.member);
const pipeline = new ImagePipeline({ maxPixels: 40_000_000, concurrency: pipelineConcurrency });

let failures = 0;
const bare = (files: Buffer[]) => async (i: number) => {
  await pipeline.process(files[i % files.length]!);
};
// node:http with keep-alive: the cheapest client in Node (fetch costs ~2.5 ms more CPU per 2 MB
// upload), since the client's CPU is taken from the same cores as the service's.
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const target = new URL(`${address}/api/images/upload`);
const post = (body: ReturnType<typeof multipart>) =>
  new Promise<number>((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...body.headers, 'content-length': body.payload.length, authorization: `Bearer ${owner.token}` } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body.payload);
  });
const service = (files: Buffer[]) => async (i: number) => {
  const status = await post(multipart({ filename: 'bench.jpg', contentType: 'image/jpeg', data: files[i % files.length]! }));
  if (status !== 201) failures += 1;
};

// Warm both paths (JIT, connection pools, the auth cache) before measuring either.
await timeLoop(8, bare(sets.web));
await timeLoop(8, service(sets.web));
failures = 0;

const rssStart = process.memoryUsage().rss;
const rssAt: Array<[number, number]> = [];
type CpuMs = { process: number; minio: number; postgres: number };
const results: Array<{ set: string; count: number; bare: number; service: number; bareCpuMs: CpuMs; serviceCpuMs: CpuMs }> = [];
for (const [set, count] of [['web', uploads], ['photo', photoUploads]] as const) {
  const files = sets[set];
  const bareRun = await cpuPerUpload(count, () => timeLoop(count, bare(files)));
  const serviceRun = await cpuPerUpload(count, () =>
    timeLoop(count, service(files), (done) => {
      if (set === 'web' && (done % Math.max(1, Math.floor(count / 4)) === 0 || done === count)) rssAt.push([done, process.memoryUsage().rss]);
    }),
  );
  results.push({ set, count, bare: bareRun.result, service: serviceRun.result, bareCpuMs: bareRun.cpuMs, serviceCpuMs: serviceRun.cpuMs });
}
const rssEnd = process.memoryUsage().rss;
agent.destroy();
await stopTestApp(ctx);

const row = (cells: string[], widths: number[]) => console.log(`| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`);
const widths = [28, 8, 14, 16, 8];
console.log(`\nimage-svc uploads, size ${size}: ${clients} clients, pipeline concurrency ${pipelineConcurrency}, sharp.concurrency 1`);
row(['set', 'uploads', 'bare sharp /s', 'through svc /s', 'ratio'], widths);
for (const result of results) {
  row([result.set === 'web' ? 'web (640x480 jpeg/png/webp)' : 'photo (3000x2000 jpeg)', String(result.count), result.bare.toFixed(1), result.service.toFixed(1), (result.service / result.bare).toFixed(2)], widths);
}
console.log('CPU ms per upload (this process = client + service + sharp threads; minio; postgres):');
for (const result of results) {
  const fmt = (cpu: CpuMs) => `process ${cpu.process.toFixed(1)}, minio ${cpu.minio.toFixed(1)}, postgres ${cpu.postgres.toFixed(1)}`;
  console.log(`  ${result.set.padEnd(5)} bare: ${fmt(result.bareCpuMs)} | through svc: ${fmt(result.serviceCpuMs)}` +
    ` | process CPU ratio bare/svc ${(result.bareCpuMs.process / result.serviceCpuMs.process).toFixed(2)}`);
}
console.log('  (the process CPU ratio is the throughput ratio on a machine where the store, the database and the client have cores of their own)');
console.log(`resident memory (whole bench process: client, service, fake member-svc): start ${mb(rssStart).toFixed(0)} MB, ` +
  `after ${rssAt.map(([done, rss]) => `${done} web uploads ${mb(rss).toFixed(0)} MB`).join(', ')}; end ${mb(rssEnd).toFixed(0)} MB`);
if (failures) console.log(`${failures} uploads failed`);
console.log(JSON.stringify({ bench: 'image-uploads', size, results: results.map((r) => ({ ...r, ratio: r.service / r.bare })), rssMb: { start: mb(rssStart), checkpoints: rssAt.map(([done, rss]) => [done, mb(rss)]), end: mb(rssEnd) }, failures }));
process.exit(failures ? 1 : 0);
