/** Fan-out of one post to 1,000 followers through Kafka: measured, and within 5 s. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { datedTopicName } from '../dailyfeed-shared/src/events/topics.ts';
import { buildApp } from '../src/app.ts';
import { Fixtures } from './fixtures.ts';
import { cleanupKafka, createTopics, event, send, skipReason, testConfig, testKafka, testRedis, waitFor } from './helpers.ts';

const skip = await skipReason(['postgres', 'redis', 'kafka']);
const FOLLOWERS = 1_000;

describe.skipIf(skip)('fan-out to 1,000 followers', () => {
  let app: ServiceApp;
  let fake: FakeMemberService;
  let fx: Fixtures;
  let redis: Redis;
  let producer: Producer;
  const config = testConfig({ TIMELINE_CONSUMER_ENABLED: 'true' });
  const kafka = testKafka();
  const naming = { prefix: config.DAILYFEED_TOPIC_PREFIX, timeZone: config.DAILYFEED_TOPIC_TIMEZONE };
  const fanOuts: Array<{ postId: string; ms: number; written: number }> = [];

  beforeAll(async () => {
    fx = new Fixtures();
    redis = testRedis();
    fake = await startFakeMemberService();
    const now = new Date();
    await createTopics(kafka, [-1, 0, 1].map((d) => datedTopicName(now, naming, d)));
    producer = kafka.producer();
    await producer.connect();
    app = await buildApp({ ...config, MEMBER_SVC_URL: fake.url }, { logger: false, publisher: null, onFanOut: (info) => fanOuts.push(info) });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await cleanupKafka(kafka, config.DAILYFEED_TOPIC_PREFIX, config.TIMELINE_CONSUMER_GROUP);
    await fake?.close();
    await fx?.close();
    redis?.disconnect();
  });

  it('reaches every active follower feed within 5 s', async () => {
    const author = await fx.member();
    const followers = await fx.members(FOLLOWERS);
    await fx.followMany(followers, author);
    const older = await fx.post(author, { createdAt: new Date(Date.now() - 60_000) });
    // Every follower has read the feed once (their cached set exists: active readers).
    for (const id of followers) await app.timeline.feed.rebuild(id);

    const postId = await fx.post(author);
    const member = `${postId.padStart(20, '0')}:${author}`;
    const sent = Date.now();
    await send(producer, datedTopicName(new Date(), naming), [event({ type: 'POST_CREATE', memberId: author, postId })]);
    const ms = await waitFor('the post in all 1,000 feeds', 5_000, async () => {
      const pipeline = redis.pipeline();
      for (const id of followers) pipeline.zscore(`tl:feed:${id}`, member);
      const results = (await pipeline.exec()) ?? [];
      return results.every(([, score]) => score !== null);
    });
    const fanOut = fanOuts.find((f) => f.postId === postId);
    console.log(
      `fan-out to ${FOLLOWERS} followers: ${fanOut?.ms.toFixed(1)} ms in the handler (${fanOut?.written} feeds written); ` +
        `visible in all feeds ${ms} ms after the event was sent (${Date.now() - sent} ms incl. the check)`,
    );
    expect(ms).toBeLessThan(5_000);
    expect(fanOut?.written).toBe(FOLLOWERS);

    const sample = followers[Math.floor(FOLLOWERS / 2)] as string;
    const response = await app.inject({ method: 'GET', url: '/api/timeline/posts/followings?size=5', headers: { authorization: `Bearer ${fake.tokenFor({ id: sample })}` } });
    expect((response.json().data.content as Array<{ id: string }>).map((p) => p.id)).toEqual([postId, older]);
  });
});
