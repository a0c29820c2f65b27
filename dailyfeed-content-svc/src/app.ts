/**
 * Wiring only: the shared app factory, the database, member-svc (authentication),
 * image-svc (post images), the Kafka publisher and the outbox relay, then the routes.
 * Tests build the app exactly like this.
 */
import { Redis } from 'ioredis';
import type { FastifyServerOptions } from 'fastify';
import { createServiceApp, type ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { MemberAuthResolver } from '../dailyfeed-shared/src/clients/member-auth.ts';
import { authPlugin } from '../dailyfeed-shared/src/clients/auth-plugin.ts';
import { createServiceClient } from '../dailyfeed-shared/src/clients/service-client.ts';
import { createKafka } from '../dailyfeed-shared/src/events/kafka-connection.ts';
import { KafkaEventPublisher } from '../dailyfeed-shared/src/events/kafka-publisher.ts';
import { OutboxRelay } from '../dailyfeed-shared/src/events/outbox/outbox.ts';
import { splitList } from '../dailyfeed-shared/src/config/config.ts';
import type { ContentConfig } from './config.ts';
import { createPool } from './db/pool.ts';
import { ContentEvents, SCHEMA } from './events/content-events.ts';
import { ImageAttachments } from './posts/image-attachments.ts';
import { PostService } from './posts/post-service.ts';
import { CommentService } from './comments/comment-service.ts';
import { registerPostRoutes } from './routes/posts.ts';
import { registerCommentRoutes } from './routes/comments.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(config: ContentConfig, options: BuildOptions = {}): Promise<ServiceApp & { relay: OutboxRelay }> {
  const app = await createServiceApp({
    name: 'content-svc',
    description: 'dailyfeed writes: posts, comments, replies, likes',
    config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });

  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis not reachable at start'));
  const members = createServiceClient({ serviceName: 'member', baseUrl: config.MEMBER_SVC_URL, profile: 'critical' });
  const images = config.IMAGE_SVC_URL ? createServiceClient({ serviceName: 'image', baseUrl: config.IMAGE_SVC_URL, profile: 'bulk' }) : null;
  const resolver = new MemberAuthResolver({ client: members, redis, logger: app.log });
  await app.register(authPlugin, { resolver });
  // Listen for revocations: until subscribed, answers are cached for at most 500 ms.
  void resolver.start();

  const kafka = createKafka({ brokers: splitList(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID ?? 'content-svc', logger: app.log });
  const publisher = new KafkaEventPublisher({
    kafka,
    naming: { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE },
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    acks: config.KAFKA_ACKS,
    logger: app.log,
  });
  const relay = new OutboxRelay({ pool, schema: SCHEMA, publisher, logger: app.log, registry: app.metrics });
  const nudge = config.CONTENT_RELAY_ENABLED ? () => relay.nudge() : () => undefined;

  const events = new ContentEvents(config.DAILYFEED_TOPIC_TIMEZONE);
  const postService = new PostService(pool, events, new ImageAttachments(images, app.log), nudge);
  const commentService = new CommentService(pool, events, nudge);
  registerPostRoutes(app, postService);
  registerCommentRoutes(app, commentService);
  app.decorate('relay', relay);

  const topicKeeper = publisher.startTopicKeeper();
  if (config.CONTENT_RELAY_ENABLED) relay.start();

  app.health.addReadinessCheck('postgres', () => pool.query('SELECT 1'));
  app.addHook('onClose', async () => {
    await relay.stop();
    topicKeeper.stop();
    await publisher.close();
    await resolver.close();
    await members.close();
    await images?.close();
    redis.disconnect();
    await pool.end();
  });
  app.health.markStarted();
  return app as ServiceApp & { relay: OutboxRelay };
}

declare module 'fastify' {
  interface FastifyInstance {
    relay: OutboxRelay;
  }
}
