/**
 * Wiring only: the shared app factory, this service's infrastructure (PostgreSQL, Redis,
 * member-svc client, Kafka), the consumer and its jobs, then the routes. Tests build the app
 * exactly like this (`buildApp(config, {logger: false, clock})`).
 */
import { Redis } from 'ioredis';
import type { FastifyServerOptions } from 'fastify';
import { createServiceApp, type ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { splitList } from '../dailyfeed-shared/src/config/config.ts';
import { MemberAuthResolver, SERVICE_PROFILES, authPlugin, createServiceClient, registerClientMetrics } from '../dailyfeed-shared/src/clients/index.ts';
import { createKafka } from '../dailyfeed-shared/src/events/kafka-connection.ts';
import { createDatedTopicAdmin } from '../dailyfeed-shared/src/events/topic-admin.ts';
import { systemClock, type Clock } from '../dailyfeed-shared/src/events/clock.ts';
import { createJobRunner, type JobDefinition, type JobRunner } from '../dailyfeed-shared/src/jobs/job-runner.ts';
import type { ActivityConfig } from './config.ts';
import { createPool, type Db } from './db/pool.ts';
import { activityLogProcessor } from './activities/activity-log-processor.ts';
import type { EventProcessor } from './activities/processors.ts';
import { createActivityConsumer, type ActivityConsumer } from './events/activity-consumer.ts';
import { topicHousekeepingJob } from './jobs/topic-housekeeping.ts';
import { memberSvcFollowings } from './members/followings-source.ts';
import { registerActivityRoutes } from './routes/activity-routes.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
  clock?: Clock;
  /** Processors after the activity log (blocklist, moderation, recommendations, tests). */
  extraProcessors?: (db: Db) => EventProcessor[];
}

export interface ActivityRuntime {
  db: Db;
  /** null when ACTIVITY_CONSUMER_ENABLED=false. */
  consumer: ActivityConsumer | null;
  /** The two jobs, for tests and operators (scheduled only when ACTIVITY_JOBS_ENABLED). */
  jobDefinitions: { housekeeping: JobDefinition; deadLetterRetry: JobDefinition | null };
  jobs: JobRunner;
}

declare module 'fastify' {
  interface FastifyInstance {
    activity: ActivityRuntime;
  }
}

export async function buildApp(config: ActivityConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'activity-svc',
    description: 'dailyfeed member activity log: Kafka consumer and the activity API',
    config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  const clock = options.clock ?? systemClock;

  const db = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => undefined); // the dedup guard and the auth resolver log what matters
  await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis not reachable at start'));

  const memberClient = createServiceClient({ serviceName: 'member', baseUrl: config.MEMBER_SVC_URL, profile: SERVICE_PROFILES.member });
  registerClientMetrics(app.metrics, [memberClient]);
  const resolver = new MemberAuthResolver({ client: memberClient, redis, logger: app.log });
  void resolver.start();
  await app.register(authPlugin, { resolver });

  const naming = { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE };
  const kafka = createKafka({ brokers: splitList(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID ?? 'activity-svc', logger: app.log });
  const admin = createDatedTopicAdmin({ kafka, naming });

  const consumer = config.ACTIVITY_CONSUMER_ENABLED
    ? createActivityConsumer({
        kafka,
        pool: db,
        redis,
        group: config.ACTIVITY_CONSUMER_GROUP,
        naming,
        processors: [activityLogProcessor(db), ...(options.extraProcessors?.(db) ?? [])],
        clock,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        windowCheckIntervalMs: config.ACTIVITY_WINDOW_CHECK_INTERVAL_MS,
        dedupTtlSeconds: config.ACTIVITY_DEDUP_TTL_SECONDS,
        backoff: {
          maxAttempts: config.ACTIVITY_DEAD_LETTER_MAX_ATTEMPTS,
          baseDelayMs: config.ACTIVITY_DEAD_LETTER_BASE_DELAY_MS,
          maxDelayMs: config.ACTIVITY_DEAD_LETTER_MAX_DELAY_MS,
        },
        registry: app.metrics,
        logger: app.log,
      })
    : null;

  const jobs = createJobRunner({ pool: db, logger: app.log });
  const jobDefinitions = {
    housekeeping: topicHousekeepingJob({
      admin,
      prefix: naming.prefix,
      retentionDays: config.DAILYFEED_TOPIC_RETENTION_DAYS,
      everyMs: config.ACTIVITY_TOPIC_HOUSEKEEPING_INTERVAL_MS,
      clock,
      logger: app.log,
    }),
    deadLetterRetry: consumer ? consumer.retry.job(`activity.dead-letter-retry:${consumer.group}`, config.ACTIVITY_DEAD_LETTER_RETRY_INTERVAL_MS) : null,
  };
  if (config.ACTIVITY_JOBS_ENABLED) {
    jobs.schedule(jobDefinitions.housekeeping);
    if (jobDefinitions.deadLetterRetry) jobs.schedule(jobDefinitions.deadLetterRetry);
  }
  app.decorate('activity', { db, consumer, jobDefinitions, jobs });

  // Readiness is PostgreSQL only: without Redis events still flow (the upsert dedupes) and
  // a broker outage only delays consumption; /metrics shows both.
  app.health.addReadinessCheck('postgres', () => db.query('SELECT 1'));

  registerActivityRoutes(app, { db, followings: memberSvcFollowings(memberClient) });

  app.addHook('onClose', async () => {
    await jobs.stop();
    await consumer?.stop();
    await admin.close();
    await resolver.close();
    await db.end();
    redis.disconnect();
  });

  if (consumer) {
    // Never blocks start-up: with the broker down the listener keeps retrying on its timer.
    consumer.start().catch((error: unknown) => app.log.warn({ err: error }, 'consumer not started yet; retrying'));
  }
  app.health.markStarted();
  return app;
}
