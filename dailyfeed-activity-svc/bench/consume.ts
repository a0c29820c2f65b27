/**
 * Consumer benchmark of activity-svc, against the baseline of a bare kafkajs consumer that
 * only reads the same records on the same broker, in the same run (prints ratios, asserts nothing).
 *
 *   npx tsx bench/consume.ts --size small|full
 *
 * 1. Throughput: N events are produced to one dated topic first; then the bare consumer
 *    (eachBatch, counting) and the activity consumer (decode, Redis dedup, upsert, commit per
 *    record: the production pipeline) each read them all from the beginning. events/s is
 *    measured from the first record seen (stored) to the last, so the group join is excluded.
 * 2. Steady rate: R events/s for S seconds to a fresh topic, read by both consumers at once;
 *    the lag of each group is sampled every 250 ms (p50/p99/max), and produce -> stored latency
 *    comes from the rows (recorded_at - occurred_at).
 * Env as the tests: DATABASE_URL (activity role), REDIS_URL, KAFKA_BROKERS
 * (`eval "$(bash ../dailyfeed-installer/local/infra.sh env dailyfeed_test)"`).
 */
import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { splitList } from '../dailyfeed-shared/src/config/config.ts';
import { createKafka } from '../dailyfeed-shared/src/events/kafka-connection.ts';
import { createActivityEvent, encodeEventValue, recordKeyOf, type ActivityEvent } from '../dailyfeed-shared/src/events/index.ts';
import { datedTopicName } from '../dailyfeed-shared/src/events/topics.ts';
import { runId } from '../dailyfeed-shared/testing/servers.ts';
import { createPool } from '../src/db/pool.ts';
import { activityLogProcessor } from '../src/activities/activity-log-processor.ts';
import { createActivityConsumer } from '../src/events/activity-consumer.ts';

const size = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'small';
if (size !== 'small' && size !== 'full') throw new Error('usage: consume.ts --size small|full');
const SIZES = {
  small: { events: 5_000, rate: 200, seconds: 15 },
  full: { events: 50_000, rate: 1_000, seconds: 30 },
} as const;
const { events: N, rate: RATE, seconds: SECONDS } = SIZES[size];
const TZ = 'Asia/Seoul';

for (const name of ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS']) {
  if (!process.env[name]) throw new Error(`${name} is required (eval "$(bash ../dailyfeed-installer/local/infra.sh env dailyfeed_test)"; export DATABASE_URL=$DATABASE_URL_ACTIVITY)`);
}
const kafka = createKafka({ brokers: splitList(process.env.KAFKA_BROKERS!), clientId: 'activity-bench' });
const db = createPool(process.env.DATABASE_URL!, 6);
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
redis.on('error', () => undefined);
await redis.connect();
const memberBase = randomInt(1, 2 ** 40) * 1000;
const cleanup: Array<() => Promise<unknown>> = [];

const makeEvents = (n: number, offset: number, members = memberBase): ActivityEvent[] =>
  Array.from({ length: n }, (_, i) =>
    createActivityEvent({
      type: (['POST_CREATE', 'POST_READ', 'LIKE_POST', 'COMMENT_CREATE', 'MEMBER_FOLLOW'] as const)[i % 5]!,
      memberId: members + (i % 100),
      postId: offset + i + 1,
      commentId: offset + i + 1,
      targetMemberId: offset + i + 1,
      timeZone: TZ,
    }),
  );

const toMessages = (events: ActivityEvent[]) =>
  events.map((e) => ({ key: recordKeyOf(e), value: encodeEventValue(e), headers: { eventId: e.eventId, eventType: e.type } }));

async function newTopic(prefix: string): Promise<string> {
  const topic = datedTopicName(new Date(), { prefix, timeZone: TZ });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  cleanup.push(async () => {
    const a = kafka.admin();
    await a.connect();
    await a.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await a.disconnect();
  });
  return topic;
}

async function groupLag(admin: ReturnType<Kafka['admin']>, groupId: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let lag = 0;
  for (const p of await admin.fetchTopicOffsets(topic)) {
    const done = Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1);
    lag += Number(p.high) - (done >= 0 ? done : Number(p.low));
  }
  return lag;
}

/** The baseline: a kafkajs consumer that only counts what it reads (commits per batch). */
async function bareConsumer(topic: string, onMessages: (n: number) => void, onJoined?: () => void) {
  const groupId = `bench-bare-${runId()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000 });
  if (onJoined) consumer.on(consumer.events.GROUP_JOIN, onJoined);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => onMessages(batch.messages.length) });
  return { groupId, stop: () => consumer.disconnect() };
}

function activityConsumer(prefix: string, onStored: () => void) {
  const group = `bench-activity-${runId()}`;
  const consumer = createActivityConsumer({
    kafka,
    pool: db,
    redis,
    group,
    naming: { prefix, timeZone: TZ },
    processors: [activityLogProcessor(db), { name: 'bench-counter', process: async () => onStored() }],
    sessionTimeoutMs: 10_000,
  });
  return { group, consumer };
}

async function until(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const quantile = (values: number[], q: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};

async function throughput(producer: Producer) {
  const prefix = `bench-${runId()}-`;
  const topic = await newTopic(prefix);
  const events = makeEvents(N, 0);
  for (let i = 0; i < events.length; i += 500) await producer.send({ topic, acks: 1, messages: toMessages(events.slice(i, i + 500)) });

  // The bare consumer gets whole batches (thousands of records) at once: its clock starts when
  // it joined the group, before the first fetch. The activity consumer's starts at its first
  // stored record (its time is the per-record work, the first fetch is noise there).
  let seen = 0;
  let firstAt = 0;
  let lastAt = 0;
  const bare = await bareConsumer(
    topic,
    (n) => {
      seen += n;
      if (seen >= N && lastAt === 0) lastAt = performance.now();
    },
    () => void (firstAt = performance.now()),
  );
  await until(() => seen >= N, 300_000, 'the bare consumer');
  await bare.stop();
  const bareRate = N / ((lastAt - firstAt) / 1000);

  let stored = 0;
  let storedFirst = 0;
  let storedLast = 0;
  const { consumer } = activityConsumer(prefix, () => {
    if (stored === 0) storedFirst = performance.now();
    stored += 1;
    if (stored >= N) storedLast = performance.now();
  });
  await consumer.start();
  await until(() => stored >= N, 600_000, 'the activity consumer');
  await consumer.stop();
  const activityRate = N / ((storedLast - storedFirst) / 1000);
  return { bareRate, activityRate };
}

/**
 * The same pipeline (dedup + processors + mark) called directly, one event after another,
 * without Kafka: how much of the consumer's time is its own work, and how much the listener's
 * per-record commit and heartbeat.
 */
async function pipelineOnly() {
  const n = Math.min(N, 5_000);
  const prefix = `bench-${runId()}-`;
  const { consumer } = activityConsumer(prefix, () => undefined);
  const guard = consumer.guard;
  const log = activityLogProcessor(db);
  const events = makeEvents(n, N * 3, memberBase + 500); // other members: not in the latency figure
  const start = performance.now();
  for (const e of events) {
    if (await guard.isDone(e.eventId)) continue;
    await log.process(e, { topic: 'bench', partition: 0, offset: '0', key: null, headers: {}, timestamp: '0' });
    await guard.markDone(e.eventId);
  }
  return n / ((performance.now() - start) / 1000);
}

async function steady(producer: Producer) {
  const prefix = `bench-${runId()}-`;
  const topic = await newTopic(prefix);
  let bareSeen = 0;
  const bare = await bareConsumer(topic, (n) => void (bareSeen += n));
  let stored = 0;
  const { consumer, group } = activityConsumer(prefix, () => void (stored += 1));
  await consumer.start();
  // Let both groups join before the clock starts.
  await producer.send({ topic, acks: 1, messages: toMessages(makeEvents(3, N)) });
  await until(() => bareSeen >= 3 && stored >= 3, 60_000, 'both groups to join');

  const admin = kafka.admin();
  await admin.connect();
  const lags = { bare: [] as number[], activity: [] as number[] };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [b, a] = await Promise.all([groupLag(admin, bare.groupId, topic), groupLag(admin, group, topic)]);
      lags.bare.push(b);
      lags.activity.push(a);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const total = RATE * SECONDS;
  const perTick = Math.max(1, Math.round(RATE / 20)); // 20 sends a second
  const start = performance.now();
  for (let i = 0, tick = 0; i < total; i += perTick, tick++) {
    const due = start + tick * 50;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Built at send time: occurredAt is the produce time of the latency figure.
    await producer.send({ topic, acks: 1, messages: toMessages(makeEvents(Math.min(perTick, total - i), N + 10 + i)) });
  }
  const produceSeconds = (performance.now() - start) / 1000;
  await until(() => stored >= total + 3 && bareSeen >= total + 3, 120_000, 'the steady stream to drain');
  sampling = false;
  await sampler;
  await admin.disconnect();
  await bare.stop();
  await consumer.stop();
  const { rows } = await db.query<{ p50: number; p99: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (SELECT extract(epoch FROM recorded_at - occurred_at) * 1000 AS ms FROM activity.member_activities
              WHERE member_id >= $1 AND member_id < $2 AND post_id > $3) x`,
    [memberBase, memberBase + 100, N + 10],
  );
  return { lags, produceSeconds, total, latency: rows[0]! };
}

const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
try {
  console.log(`activity-svc consumer benchmark, size ${size}: ${N} events for throughput; ${RATE} events/s for ${SECONDS} s steady`);
  const t = await throughput(producer);
  console.log(`throughput  bare kafkajs consumer (read only)   ${t.bareRate.toFixed(0)} events/s`);
  console.log(`throughput  activity consumer (read + dedup + upsert + commit) ${t.activityRate.toFixed(0)} events/s`);
  console.log(`ratio       activity / bare = ${(t.activityRate / t.bareRate).toFixed(3)}`);
  const p = await pipelineOnly();
  console.log(`pipeline    dedup + upsert + mark without Kafka, one at a time: ${p.toFixed(0)} events/s (listener overhead ${(100 * (1 - t.activityRate / p)).toFixed(0)}% of the consumer's time)`);
  const s = await steady(producer);
  const line = (name: string, values: number[]) =>
    `lag at ${RATE}/s  ${name.padEnd(9)} p50 ${quantile(values, 0.5)}  p99 ${quantile(values, 0.99)}  max ${Math.max(...values)}  (${values.length} samples)`;
  console.log(`steady      produced ${s.total} events in ${s.produceSeconds.toFixed(1)} s`);
  console.log(line('bare', s.lags.bare));
  console.log(line('activity', s.lags.activity));
  const bareP99 = quantile(s.lags.bare, 0.99);
  const activityP99 = quantile(s.lags.activity, 0.99);
  console.log(`ratio       lag p99 activity / bare = ${bareP99 === 0 ? `${activityP99} / 0` : (activityP99 / bareP99).toFixed(2)}`);
  console.log(`latency     produce -> stored row p50 ${Number(s.latency.p50).toFixed(1)} ms, p99 ${Number(s.latency.p99).toFixed(1)} ms`);
} finally {
  await producer.disconnect();
  for (const step of cleanup) await step().catch(() => undefined);
  await db.query('DELETE FROM activity.member_activities WHERE member_id >= $1 AND member_id < $2', [memberBase, memberBase + 1000]).catch(() => undefined);
  await db.end();
  redis.disconnect();
}
