/** Test support: the app as in production against real PostgreSQL, Redis and Kafka; member-svc as a real HTTP stand-in. */
import { Kafka, logLevel } from 'kafkajs';
import { runId } from '../dailyfeed-shared/testing/servers.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { datedTopicName } from '../dailyfeed-shared/src/events/topics.ts';
import type { Summary } from '../dailyfeed-shared/src/contracts/api.ts';
import { buildApp } from '../src/app.ts';
import { loadContentConfig } from '../src/config.ts';

export function testConfig(memberUrl: string, overrides: Record<string, string> = {}) {
  return loadContentConfig({
    ...process.env,
    MEMBER_SVC_URL: memberUrl,
    IMAGE_SVC_URL: '',
    DAILYFEED_TOPIC_PREFIX: `test-${runId()}-`,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

/** The fake member-svc resolves the tokens it issued (GET /internal/auth/resolve). */
export async function startMembers() {
  const member = await startFakeMemberService();
  let counter = 0;
  const newMember = () => {
    counter += 1;
    const id = String(700_000_000 + Math.floor(Math.random() * 1_000_000) * 10 + counter);
    const summary: Summary = { id, handle: `m${id}`, displayName: `Member ${id}`, avatarUrl: null, verified: false };
    return { id, token: member.tokenFor(summary), auth: { authorization: `Bearer ${member.tokenFor(summary)}` } };
  };
  return { member, newMember };
}

export async function startTestApp(overrides: Record<string, string> = {}) {
  const members = await startMembers();
  const config = testConfig(members.member.url, overrides);
  const app = await buildApp(config, { logger: false });
  return { app, config, ...members, close: async () => { await app.close(); await members.member.close(); } };
}

/** Reads every event of a prefix's topic of today until `until` says enough, or the deadline. */
export async function readTopic(prefix: string, until: (values: Array<Record<string, unknown>>) => boolean, timeoutMs = 20_000) {
  const kafka = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING, clientId: 'content-test-reader' });
  const consumer = kafka.consumer({ groupId: `content-test-${runId()}`, sessionTimeout: 6_000 });
  const values: Array<Record<string, unknown>> = [];
  const headers: Array<Record<string, string>> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [datedTopicName(new Date(), { prefix, timeZone: process.env.DAILYFEED_TOPIC_TIMEZONE ?? 'Asia/Seoul' })], fromBeginning: true });
  let done: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(JSON.parse(message.value!.toString('utf8')));
      headers.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
      if (until(values)) done();
    },
  });
  const timer = setTimeout(() => done(), timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return { values, headers };
}
