/**
 * A benchmark target in its own process (so the load generator does not share its event loop):
 *   BENCH_TARGET=timeline  the real timeline-svc app (buildApp), env as in production
 *   BENCH_TARGET=hello     a Fastify hello-world route, the ceiling of one Node process here
 *   BENCH_TARGET=ceiling   the follow-feed route with everything but the feed: the same app
 *                          factory (hooks, metrics), the same auth (member-svc resolver and its
 *                          cache) and the same bytes (a real feed page, BENCH_PAGE_FILE) sent
 *                          from memory: what any feed implementation could reach here
 * Prints `listening <port>` once ready.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { authPlugin, MemberAuthResolver } from '../dailyfeed-shared/src/clients/index.ts';
import { createServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { buildApp } from '../src/app.ts';
import { loadTimelineConfig } from '../src/config.ts';

const target = process.env.BENCH_TARGET ?? 'timeline';
const config = () => loadTimelineConfig({ ...process.env, PORT: '0', LOG_LEVEL: 'error' });
let app;
if (target === 'hello') {
  app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
} else if (target === 'ceiling') {
  const service = await createServiceApp({ name: 'timeline-svc', config: config(), logger: false });
  const redis = new Redis(config().REDIS_URL);
  const resolver = new MemberAuthResolver({ memberBaseUrl: config().MEMBER_SVC_URL, redis });
  await resolver.start();
  await service.register(authPlugin, { resolver });
  const page = readFileSync(process.env.BENCH_PAGE_FILE as string); // bytes, as the feed sends them
  service.get('/api/timeline/posts/followings', { preHandler: service.authenticate }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(page));
  app = service;
} else {
  app = await buildApp(config(), { logger: false, publisher: null });
}
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${(app.server.address() as { port: number }).port}`);
process.on('SIGTERM', () => process.exit(0));
