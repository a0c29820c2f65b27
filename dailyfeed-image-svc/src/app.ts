/**
 * Wiring only: the shared app factory, storage, database and the member-svc auth client,
 * then the routes and the cleanup job. Tests build the app exactly like this.
 */
import multipart from '@fastify/multipart';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { FastifyServerOptions } from 'fastify';
import { createServiceApp, type ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { MemberAuthResolver } from '../dailyfeed-shared/src/clients/member-auth.ts';
import { authPlugin } from '../dailyfeed-shared/src/clients/auth-plugin.ts';
import { createJobRunner, withAdvisoryLock, type JobRunner } from '../dailyfeed-shared/src/jobs/job-runner.ts';
import type { ImageConfig } from './config.ts';
import { createPrisma } from './db/prisma.ts';
import { ImagesRepository } from './db/images-repo.ts';
import { ObjectStorage } from './images/object-storage.ts';
import { ImagePipeline } from './images/pipeline.ts';
import { UploadBuffers } from './images/upload-buffers.ts';
import { ImageService } from './images/image-service.ts';
import { registerImageRoutes } from './routes/images.ts';
import { registerInternalRoutes } from './routes/internal.ts';
import { unattachedCleanupJob } from './jobs/cleanup.ts';
import { imageMetrics } from './images/metrics.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(config: ImageConfig, options: BuildOptions = {}): Promise<ServiceApp & { images: ImageService; storage: ObjectStorage }> {
  const app = await createServiceApp({
    name: 'image-svc',
    description: 'dailyfeed images: safe uploads, WebP variants, object storage',
    config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  await app.register(multipart, { limits: { fileSize: config.IMAGE_MAX_BYTES, files: 1 } });

  const prisma = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const lockPool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis not reachable at start'));
  const storage = new ObjectStorage({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
  });
  const metrics = imageMetrics(app.metrics, () => pipeline.load);
  const pipeline = new ImagePipeline({
    maxPixels: config.IMAGE_MAX_PIXELS,
    concurrency: config.IMAGE_PIPELINE_CONCURRENCY,
    onProcessed: (seconds) => metrics.pipelineSeconds.observe(seconds),
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/api/images/upload' && request.method === 'POST') metrics.uploads.inc({ status: String(reply.statusCode) });
  });
  const images = new ImageService(new ImagesRepository(prisma), storage, pipeline);
  const jobs = createJobRunner({ pool: lockPool, logger: app.log });
  const resolver = new MemberAuthResolver({ memberBaseUrl: config.MEMBER_SVC_URL, redis, logger: app.log });
  await app.register(authPlugin, { resolver });
  // Listen for revocations: until subscribed, answers are cached for at most 500 ms.
  void resolver.start();

  // One buffer per upload in flight is reused (a queue of a few per pipeline slot); uploads
  // above 4 MiB (rare: phone photos are 2-4 MB) get their own.
  const buffers = new UploadBuffers({ maxPooled: config.IMAGE_PIPELINE_CONCURRENCY * 2 + 2, maxPooledBytes: 4 * 1024 * 1024 });
  registerImageRoutes(app, images, config.IMAGE_MAX_BYTES, buffers);
  registerInternalRoutes(app, images);
  app.decorate('images', images);
  app.decorate('storage', storage);
  app.decorate('jobs', jobs);

  app.health.addReadinessCheck('postgres', () => prisma.$queryRaw`SELECT 1`);
  app.health.addReadinessCheck('object-storage', () => storage.ping());
  app.addHook('onClose', async () => {
    await jobs.stop();
    await resolver.close();
    redis.disconnect();
    await prisma.$disconnect();
    await lockPool.end();
    storage.close();
  });

  // Two replicas starting together: one creates the bucket, the other finds it.
  await withAdvisoryLock(lockPool, 'image.ensure-bucket', () => storage.ensureBucket());
  if (config.IMAGE_JOBS_ENABLED) jobs.schedule(unattachedCleanupJob(images, config.IMAGE_UNATTACHED_TTL_HOURS, app.log));
  app.health.markStarted();
  return app as ServiceApp & { images: ImageService; storage: ObjectStorage };
}

declare module 'fastify' {
  interface FastifyInstance {
    images: ImageService;
    storage: ObjectStorage;
    /** The job runner (the cleanup job is scheduled on it unless IMAGE_JOBS_ENABLED=false). */
    jobs: JobRunner;
  }
}
