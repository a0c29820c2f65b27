/**
 * Wiring only: the shared app factory, this service's infrastructure (PostgreSQL, Redis,
 * Kafka publisher and consumer, jobs), the use cases, then the routes. Tests build the app
 * exactly like this.
 */
import { Redis } from 'ioredis';
import type { FastifyServerOptions } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { createServiceApp, type ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { authPlugin, MemberAuthResolver } from '../dailyfeed-shared/src/clients/index.ts';
import { createKafka, createKafkaEventPublisher, type ActivityEvent, type EventPublisher } from '../dailyfeed-shared/src/events/index.ts';
import { createJobRunner, type JobRunner } from '../dailyfeed-shared/src/jobs/index.ts';
import { splitList } from '../dailyfeed-shared/src/config/config.ts';
import type { TimelineConfig } from './config.ts';
import { createPool } from './db/pool.ts';
import { ContentRepo } from './db/content-repo.ts';
import { FeedStore } from './feed/feed-store.ts';
import { FeedService } from './feed/feed-service.ts';
import { FeedPageMemo } from './feed/page-memo.ts';
import { RedisKeyTracking } from './db/redis-tracking.ts';
import { pageJson } from './routes/page-json.ts';
import { PulledPosts } from './feed/pulled-posts.ts';
import { FollowingsReader } from './members/followings.ts';
import { SummaryReader } from './members/summaries.ts';
import { Hydrator } from './reads/hydrator.ts';
import { LikedReader } from './reads/liked.ts';
import { ReadEvents } from './reads/read-events.ts';
import { ReadService } from './reads/read-service.ts';
import { RankingStore } from './ranking/ranking-store.ts';
import { RankingService } from './ranking/ranking-service.ts';
import { createEventHandler } from './events/handlers.ts';
import { createTimelineConsumer, type TimelineConsumer } from './events/consumer.ts';
import { registerTimelineRoutes } from './routes/timeline-routes.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
  /** The clock of rankings (tests fix it). */
  now?: () => number;
  /** Replaces the Kafka publisher of READ events (tests); null publishes nothing. */
  publisher?: EventPublisher | null;
  onFanOut?: (info: { postId: string; followers: number; written: number; ms: number }) => void;
}

export interface TimelineInternals {
  feed: FeedService;
  feedStore: FeedStore;
  memo: FeedPageMemo<Buffer> | null;
  tracking: RedisKeyTracking | null;
  rankings: RankingService;
  followings: FollowingsReader;
  handle: (event: ActivityEvent) => Promise<void>;
  consumer: TimelineConsumer | null;
  jobs: JobRunner;
  redis: Redis;
}

declare module 'fastify' {
  interface FastifyInstance {
    timeline: TimelineInternals;
  }
}

export async function buildApp(config: TimelineConfig, options: BuildOptions = {}): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'timeline-svc',
    description: 'dailyfeed read side: follow feed, rankings, post and comment reads',
    config,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  const now = options.now ?? Date.now;

  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis not reachable at start'));

  const resolver = new MemberAuthResolver({ memberBaseUrl: config.MEMBER_SVC_URL, redis, logger: app.log });
  void resolver.start();
  await app.register(authPlugin, { resolver });

  const publisher =
    options.publisher !== undefined
      ? options.publisher
      : createKafkaEventPublisher({
          kafka: createKafka({ brokers: splitList(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID ?? 'timeline-svc', logger: app.log }),
          naming: { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE },
          partitions: config.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: config.KAFKA_REPLICATION_FACTOR,
          acks: config.KAFKA_ACKS,
          logger: app.log,
        });

  const content = new ContentRepo(pool);
  const onRefreshError = (error: unknown) => app.log.warn({ err: error }, 'cache refresh failed; rows are served as they were until the next read');
  const summaries = new SummaryReader({ db: pool, ttlMs: config.SUMMARY_CACHE_TTL_MS, onRefreshError });
  const liked = new LikedReader({ db: pool, redis, ttlSeconds: config.LIKED_SET_TTL_SECONDS });
  const hydrator = new Hydrator({ content, summaries, liked, postCacheTtlMs: config.POST_CACHE_TTL_MS, summaryTtlMs: config.SUMMARY_CACHE_TTL_MS, onRefreshError });
  const followings = new FollowingsReader({ db: pool, redis, fanoutMaxFollowers: config.FEED_FANOUT_MAX_FOLLOWERS, ttlSeconds: config.FOLLOWINGS_CACHE_TTL_SECONDS, localTtlMs: config.FOLLOWINGS_LOCAL_CACHE_MS });
  // Rendered feed pages are memoised while Redis announces no change of what they read.
  let tracking: RedisKeyTracking | null = null;
  const memo = config.FEED_PAGE_MEMO_MS > 0
    ? new FeedPageMemo<Buffer>({ maxPages: config.FEED_PAGE_MEMO_SIZE, maxAgeMs: config.FEED_PAGE_MEMO_MS, epoch: () => tracking?.epoch ?? null })
    : null;
  if (memo) {
    tracking = new RedisKeyTracking({
      url: config.REDIS_URL,
      onChange: (key) => memo.keyChanged(key),
      onError: (error) => app.log.debug({ err: error }, 'redis key tracking: connection error (pages are not memoised meanwhile)'),
    });
    await tracking.start();
  }
  const feedStore = new FeedStore(redis, { cap: config.FEED_CACHE_SIZE, ttlSeconds: config.FEED_IDLE_TTL_SECONDS, ...(tracking ? { tracked: tracking } : {}) });
  const pulled = new PulledPosts({ content, ttlMs: config.PULLED_CACHE_TTL_MS, size: config.PULLED_CACHE_SIZE });
  const feed = new FeedService({ store: feedStore, content, followings, hydrator, pulled, log: app.log, render: (page) => pageJson(200, page), memo });
  const rankings = new RankingService({
    store: new RankingStore(redis),
    content,
    db: pool,
    hydrator,
    maxPerAuthor: config.RANKING_MAX_PER_AUTHOR,
    now,
    log: app.log,
  });
  const reads = new ReadService(content, hydrator, new ReadEvents({ publisher, timeZone: config.DAILYFEED_TOPIC_TIMEZONE, log: app.log, registry: app.metrics }));

  const fanOutSeconds = new Histogram({
    name: 'timeline_fanout_duration_seconds',
    help: 'Fan-out of one post to its followers\' cached feeds',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [app.metrics],
  });
  if (memo) {
    new Counter({
      name: 'timeline_feed_page_memo_total',
      help: 'Follow-feed pages asked of the page memo, by result: hit (sent without being built), absent, expired, lapsed (tracking lost since)',
      labelNames: ['result'],
      registers: [app.metrics],
      collect() {
        this.reset();
        for (const result of ['hit', 'absent', 'expired', 'lapsed'] as const) this.inc({ result }, memo.stats[result]);
      },
    });
    new Counter({
      name: 'timeline_feed_page_memo_joined_total',
      help: 'Follow-feed pages missed by the page memo but sent from a build of the same page already in flight',
      registers: [app.metrics],
      collect() {
        this.reset();
        this.inc(memo.stats.joined);
      },
    });
  }
  const fanOutWrites = new Counter({ name: 'timeline_fanout_writes_total', help: 'Cached feeds a post was written to', registers: [app.metrics] });
  const handle = createEventHandler({
    db: pool,
    content,
    store: feedStore,
    followings,
    rankings,
    liked,
    hydrator,
    pulled,
    memo,
    log: app.log,
    onFanOut: (info) => {
      fanOutSeconds.observe(info.ms / 1000);
      fanOutWrites.inc(info.written);
      options.onFanOut?.(info);
    },
  });

  const consumer = config.TIMELINE_CONSUMER_ENABLED
    ? createTimelineConsumer({ config, pool, redis, registry: app.metrics, log: app.log, handle })
    : null;
  const jobs = createJobRunner({ pool, logger: app.log });
  if (config.TIMELINE_JOBS_ENABLED) {
    if (consumer) jobs.schedule(consumer.retry.job('timeline.dead-letter-retry', 5_000));
    jobs.schedule({
      name: 'timeline.rankings-maintenance',
      everyMs: 30_000,
      runOnStart: true,
      run: async () => {
        if (await rankings.rebuildIfMissing()) return;
      },
    });
  }

  app.decorate('timeline', { feed, feedStore, memo, tracking, rankings, followings, handle, consumer, jobs, redis });
  registerTimelineRoutes(app, { feed, rankings, reads, naiveFeedEnabled: config.TIMELINE_NAIVE_FEED_ENABLED });

  app.health.addReadinessCheck('postgres', () => pool.query('SELECT 1'));
  app.health.addReadinessCheck('redis', () => redis.ping());
  app.addHook('onReady', async () => {
    if (consumer) {
      consumer.start().catch((error: unknown) => app.log.error({ err: error }, 'event listener not started yet; retrying on its timer'));
    }
  });
  app.addHook('onClose', async () => {
    await jobs.stop();
    await consumer?.stop();
    await publisher?.close();
    await resolver.close();
    await pool.end();
    tracking?.close();
    redis.disconnect();
  });

  app.health.markStarted();
  return app;
}
