/** MEMBER_FOLLOW / MEMBER_UNFOLLOW reach Kafka through the outbox and the shared relay. */
import type { Consumer, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers, runId } from '../dailyfeed-shared/testing/servers.ts';
import { splitList } from '../dailyfeed-shared/src/config/config.ts';
import { createKafka } from '../dailyfeed-shared/src/events/kafka-connection.ts';
import { producerTopics } from '../dailyfeed-shared/src/events/topics.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { bearer, member, testApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'kafka']);

describe.skipIf(missing)('follow events through the outbox', () => {
  const prefix = `test-member-${runId()}-`;
  const kafka = createKafka({ brokers: splitList(process.env.KAFKA_BROKERS ?? ''), clientId: 'member-svc-test' });
  const received: KafkaMessage[] = [];
  let consumer: Consumer;
  let app: ServiceApp;
  let topics: string[];

  beforeAll(async () => {
    app = await testApp({ MEMBER_OUTBOX_RELAY_ENABLED: 'true', DAILYFEED_TOPIC_PREFIX: prefix });
    topics = producerTopics(new Date(), { prefix, timeZone: app.member.config.DAILYFEED_TOPIC_TIMEZONE });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
    await admin.disconnect();
    consumer = kafka.consumer({ groupId: `${prefix}group`, sessionTimeout: 6_000 });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
  });
  afterAll(async () => {
    await app?.close();
    await consumer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups([`${prefix}group`]).catch(() => undefined);
    await admin.disconnect();
  });

  it('publishes MEMBER_FOLLOW then MEMBER_UNFOLLOW with record key member:{follower}', async () => {
    const a = await member(app);
    const b = await member(app);
    expect((await app.inject({ method: 'POST', url: `/api/members/follow/${b.id}`, headers: bearer(a.accessToken) })).statusCode).toBe(201);
    expect((await app.inject({ method: 'DELETE', url: `/api/members/follow/${b.id}`, headers: bearer(a.accessToken) })).statusCode).toBe(204);
    const mine = () => received.filter((message) => JSON.parse(String(message.value)).memberId === a.id);
    const deadline = Date.now() + 20_000;
    while (mine().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const events = mine().map((message) => ({ key: String(message.key), type: String(message.headers?.eventType), value: JSON.parse(String(message.value)) }));
    expect(events.map((e) => e.value.type)).toEqual(['MEMBER_FOLLOW', 'MEMBER_UNFOLLOW']);
    expect(events[0]).toMatchObject({ key: `member:${a.id}`, type: 'MEMBER_FOLLOW', value: { version: 1, memberId: a.id, targetMemberId: b.id } });
    const { rows } = await app.member.pool.query(
      `SELECT count(*)::int AS n FROM outbox_events WHERE payload->>'memberId' = $1 AND published_at IS NULL`,
      [a.id],
    );
    expect(rows[0].n).toBe(0);
  });
});
