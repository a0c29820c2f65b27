/**
 * Wiring only: the shared app factory, this service's infrastructure (PostgreSQL, Redis),
 * the services, the jobs, then the routes. Tests build the app exactly like this.
 */
import cookie from '@fastify/cookie';
import { Redis } from 'ioredis';
import type { FastifyServerOptions } from 'fastify';
import { createServiceApp, type ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { authPlugin } from '../dailyfeed-shared/src/clients/auth-plugin.ts';
import type { JobRunner } from '../dailyfeed-shared/src/jobs/job-runner.ts';
import type { MemberConfig } from './config.ts';
import { createPool } from './db/pool.ts';
import { scheduleMemberJobs } from './jobs/member-jobs.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { internalRoutes } from './routes/internal-routes.ts';
import { memberRoutes } from './routes/member-routes.ts';
import { createServices, KEYS_CHANGED_CHANNEL, type MemberServices } from './services.ts';
import { systemClock, type Clock } from './support/clock.ts';
import { registerMemberMetrics } from './support/metrics.ts';
import { splitList } from '../dailyfeed-shared/src/config/config.ts';
import { createKafka } from '../dailyfeed-shared/src/events/kafka-connection.ts';
import { createKafkaEventPublisher } from '../dailyfeed-shared/src/events/kafka-publisher.ts';
import { OutboxRelay } from '../dailyfeed-shared/src/events/outbox/outbox.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
  /** Injected time (key rotation and token expiry tests). */
  clock?: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    member: MemberServices;
    /** The job runner (undefined when MEMBER_JOBS_ENABLED is false). */
    memberJobs: JobRunner | undefined;
    /** The outbox relay (undefined when MEMBER_OUTBOX_RELAY_ENABLED is false). */
    memberOutbox: OutboxRelay | undefined;
  }
}

export async function buildApp(config: MemberConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'member-svc',
    description: 'dailyfeed identity: accounts, tokens, profiles, follows',
    config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  await app.register(cookie);

  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
  redis.on('error', () => undefined); // ioredis reconnects by itself; callers fall back to PostgreSQL meanwhile
  await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis not reachable at start'));
  const clock = options.clock ?? systemClock;

  // MEMBER_FOLLOW / MEMBER_UNFOLLOW: written to member.outbox_events in the follow's
  // transaction, published by the shared relay (nudged after each commit, 1 s poll otherwise).
  const publisher = config.MEMBER_OUTBOX_RELAY_ENABLED
    ? createKafkaEventPublisher({
        kafka: createKafka({ brokers: splitList(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID ?? 'member-svc', logger: app.log }),
        naming: { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE },
        partitions: config.KAFKA_TOPIC_PARTITIONS,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
        acks: config.KAFKA_ACKS,
        logger: app.log,
      })
    : undefined;
  const relay = publisher ? new OutboxRelay({ pool, schema: 'member', publisher, logger: app.log, registry: app.metrics }) : undefined;
  const topicKeeper = publisher?.startTopicKeeper();

  const services = createServices(config, {
    pool,
    redis,
    clock,
    log: app.log,
    metrics: registerMemberMetrics(app.metrics),
    ...(relay ? { onEventsCommitted: () => relay.nudge() } : {}),
  });
  relay?.start();
  app.decorate('member', services);
  await services.keys.init();
  services.state.start();

  // Every replica learns about new keys: at once by message, at worst by the periodic reload.
  const subscriber = redis.duplicate({ lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
  subscriber.on('error', () => undefined);
  subscriber.on('message', () => void services.keys.reload().catch((error: unknown) => app.log.warn({ err: error }, 'key reload failed')));
  void subscriber.connect().then(() => subscriber.subscribe(KEYS_CHANGED_CHANNEL)).catch(() => undefined);
  const reloadTimer = setInterval(() => void services.keys.reload().catch(() => undefined), config.KEY_RELOAD_INTERVAL_SECONDS * 1000);
  reloadTimer.unref();

  const jobs = config.MEMBER_JOBS_ENABLED ? scheduleMemberJobs(pool, services, app.log) : undefined;
  app.decorate('memberJobs', jobs);
  app.decorate('memberOutbox', relay);

  await app.register(authPlugin, { resolver: { resolve: (token: string) => services.accounts.resolve(token) } });
  authRoutes(app, services);
  memberRoutes(app, services);
  internalRoutes(app, services);

  app.health.addReadinessCheck('postgres', () => pool.query('SELECT 1'));
  // Redis is deliberately not a readiness check: without it resolves and revocations fall back
  // to PostgreSQL (slower, still correct), which beats taking every replica out of the mesh.
  app.health.addReadinessCheck('signing-key', async () => {
    if (!services.keys.activeKid) throw new Error('no active signing key');
  });
  app.addHook('onClose', async () => {
    clearInterval(reloadTimer);
    await jobs?.stop();
    await relay?.stop();
    topicKeeper?.stop();
    await publisher?.close();
    services.state.stop();
    await services.images?.close();
    subscriber.disconnect();
    redis.disconnect();
    await pool.end();
  });

  app.health.markStarted();
  return app;
}
