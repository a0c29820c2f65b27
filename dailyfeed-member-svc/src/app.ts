/**
 * Wiring only: the shared app factory, this service's infrastructure (database, Redis),
 * then the routes. Tests build the app exactly like this.
 */
import { Redis } from 'ioredis';
import { createServiceApp, type ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import type { FastifyServerOptions } from 'fastify';
import type { MemberConfig } from './config.ts';
import { createPrisma } from './db/prisma.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(config: MemberConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'member-svc',
    description: 'dailyfeed identity: accounts, tokens, profiles, follows',
    config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });

  const prisma = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis not reachable at start'));

  app.health.addReadinessCheck('postgres', () => prisma.$queryRaw`SELECT 1`);
  app.health.addReadinessCheck('redis', () => redis.ping());
  app.addHook('onClose', async () => {
    await prisma.$disconnect();
    redis.disconnect();
  });

  app.health.markStarted();
  return app;
}
