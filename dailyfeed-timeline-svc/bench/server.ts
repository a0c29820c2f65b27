/**
 * A benchmark target in its own process (so the load generator does not share its event loop):
 *   BENCH_TARGET=timeline  the real timeline-svc app (buildApp), env as in production
 *   BENCH_TARGET=hello     a Fastify hello-world route, the ceiling of one Node process here
 * Prints `listening <port>` once ready.
 */
import Fastify from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadTimelineConfig } from '../src/config.ts';

const target = process.env.BENCH_TARGET ?? 'timeline';
if (target === 'hello') {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening ${(app.server.address() as { port: number }).port}`);
} else {
  const app = await buildApp(loadTimelineConfig({ ...process.env, PORT: '0', LOG_LEVEL: 'error' }), { logger: false, publisher: null });
  await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening ${(app.server.address() as { port: number }).port}`);
}
process.on('SIGTERM', () => process.exit(0));
