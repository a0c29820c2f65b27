/**
 * Wiring only: the shared app factory, PostgreSQL, Redis, the caller resolver (member-svc),
 * the engine chosen by SEARCH_ENGINE, the indexer and its consumer, jobs, then the routes.
 * Tests build the app exactly like this.
 */
import { Redis } from 'ioredis';
import type { FastifyServerOptions } from 'fastify';
import { createServiceApp, type ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { authPlugin } from '../dailyfeed-shared/src/clients/auth-plugin.ts';
import { MemberAuthResolver } from '../dailyfeed-shared/src/clients/member-auth.ts';
import { createJobRunner, type JobRunner } from '../dailyfeed-shared/src/jobs/job-runner.ts';
import type { SearchConfig } from './config.ts';
import { ContentReader } from './db/content-reader.ts';
import { MemberReader } from './db/member-reader.ts';
import { createPool } from './db/pool.ts';
import { createEngine } from './engine/create-engine.ts';
import type { SearchEngine } from './engine/search-engine.ts';
import { createSearchConsumer, indexMetrics, type SearchConsumer } from './indexer/consumer.ts';
import { Indexer } from './indexer/indexer.ts';
import { Ledger } from './indexer/ledger.ts';
import { registerSearchRoutes } from './routes/search-routes.ts';
import { SearchService } from './search/search-service.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
  /** Tests: an engine built by the test (e.g. Meilisearch with its own index prefix). */
  engine?: SearchEngine;
}

declare module 'fastify' {
  interface FastifyInstance {
    searchSvc: {
      engine: SearchEngine;
      indexer: Indexer;
      ledger: Ledger;
      content: ContentReader;
      service: SearchService;
      consumer: SearchConsumer | undefined;
      jobs: JobRunner | undefined;
    };
  }
}

export async function buildApp(config: SearchConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'search-svc',
    description: 'dailyfeed search: posts, comments and members, kept in step by events',
    config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });

  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
  redis.on('error', () => undefined); // ioredis reconnects; the dedup guard lets events through meanwhile
  await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis not reachable at start'));

  const engine = options.engine ?? createEngine(config, pool);
  await engine.init();
  const content = new ContentReader(pool);
  const members = new MemberReader({ db: pool, ttlMs: config.SUMMARY_CACHE_TTL_MS });
  const ledger = new Ledger(pool);
  const indexer = new Indexer({ content, engine, ledger, observer: indexMetrics(app.metrics) });
  const service = new SearchService({ engine, content, members });

  const consumer = config.SEARCH_INDEXER_ENABLED ? createSearchConsumer({ config, pool, redis, registry: app.metrics, log: app.log, indexer }) : undefined;
  const jobs = config.SEARCH_JOBS_ENABLED && consumer ? createJobRunner({ pool, logger: app.log }) : undefined;
  if (jobs && consumer) jobs.schedule(consumer.retry.job(`search.dead-letter-retry:${config.SEARCH_CONSUMER_GROUP}`, 10_000));
  app.decorate('searchSvc', { engine, indexer, ledger, content, service, consumer, jobs });

  const resolver = new MemberAuthResolver({ memberBaseUrl: config.MEMBER_SVC_URL, redis, logger: app.log });
  void resolver.start();
  await app.register(authPlugin, { resolver });
  registerSearchRoutes(app, service);

  app.health.addReadinessCheck('postgres', () => pool.query('SELECT 1'));
  app.health.addReadinessCheck('engine', () => engine.ping());

  if (consumer) {
    // The listener retries on its own timer when Kafka is not there yet: never block start-up.
    consumer.start().catch((error: unknown) => app.log.warn({ err: error }, 'search consumer not started yet; retrying'));
  }
  app.addHook('onClose', async () => {
    await jobs?.stop();
    await consumer?.stop();
    await resolver.close();
    await engine.close();
    redis.disconnect();
    await pool.end();
  });

  app.health.markStarted();
  return app;
}
