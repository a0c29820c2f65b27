// Kafka from the outside, for the fault suites: the stack's dated topics, reading back the
// records of some members, producing them again (duplicates), and consumer-group lag.
import { Kafka, logLevel } from 'kafkajs';
import { runId, sleep } from '../../e2e/support/http.mjs';

export const CONSUMER_GROUPS = (process.env.DAILYFEED_FAULT_GROUPS ?? 'activity-svc,timeline-svc,search-svc').split(',').map((s) => s.trim()).filter(Boolean);

const ymd = (date, timeZone) => {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}${parts.month}${parts.day}`;
};

/** [yesterday, today] topic names of the stack (events.md: `{prefix}member-activity-{yyyyMMdd}`). */
export function recentTopics(env, now = new Date()) {
  const prefix = env.DAILYFEED_TOPIC_PREFIX ?? '';
  const tz = env.DAILYFEED_TOPIC_TIMEZONE || 'Asia/Seoul';
  return [ymd(new Date(now.getTime() - 86_400_000), tz), ymd(now, tz)].map((d) => `${prefix}member-activity-${d}`);
}

export function kafkaOf(env) {
  return new Kafka({ clientId: `dailyfeed-faults-${runId()}`, brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
}

async function existingTopics(admin, topics) {
  const all = new Set(await admin.listTopics());
  return topics.filter((t) => all.has(t));
}

/** Every record of `topics` whose value matches `filter`, read from the beginning up to now. */
export async function readRecords(kafka, topics, filter, { timeoutMs = 60_000 } = {}) {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `dailyfeed-faults-read-${runId()}`;
  const consumer = kafka.consumer({ groupId });
  try {
    const present = await existingTopics(admin, topics);
    const remaining = new Map(); // "topic:partition" -> last offset to read
    for (const topic of present) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (Number(p.high) > Number(p.low)) remaining.set(`${topic}:${p.partition}`, Number(p.high) - 1);
      }
    }
    const records = [];
    if (remaining.size === 0) return records;
    await consumer.connect();
    for (const topic of present) await consumer.subscribe({ topic, fromBeginning: true });
    let done;
    const finished = new Promise((resolve) => { done = resolve; });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const key = `${topic}:${partition}`;
        const last = remaining.get(key);
        if (last === undefined) return;
        let value;
        try { value = JSON.parse(message.value.toString('utf8')); } catch { value = null; }
        if (value && filter(value)) records.push({ topic, partition, offset: Number(message.offset), key: message.key, value: message.value, headers: message.headers, event: value });
        if (Number(message.offset) >= last) {
          remaining.delete(key);
          if (remaining.size === 0) done();
        }
      },
    });
    await Promise.race([finished, sleep(timeoutMs).then(() => { throw new Error(`reading ${present.join(', ')} did not finish in ${timeoutMs} ms`); })]);
    return records;
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/** Produces the records again, unchanged (same key, value, headers, partition): a redelivery. */
export async function produceAgain(kafka, records) {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  try {
    const byTopic = new Map();
    for (const r of records) {
      if (!byTopic.has(r.topic)) byTopic.set(r.topic, []);
      byTopic.get(r.topic).push({ key: r.key, value: r.value, headers: r.headers, partition: r.partition });
    }
    for (const [topic, messages] of byTopic) await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** {group: lag} summed over the partitions of `topics`; groups with no offsets are left out. */
export async function groupLag(kafka, topics, groups = CONSUMER_GROUPS) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = await existingTopics(admin, topics);
    const high = new Map();
    for (const topic of present) for (const p of await admin.fetchTopicOffsets(topic)) high.set(`${topic}:${p.partition}`, Number(p.high));
    const lag = {};
    for (const groupId of groups) {
      const offsets = await admin.fetchOffsets({ groupId, topics: present });
      let sum = 0;
      let known = false;
      for (const t of offsets) {
        for (const p of t.partitions) {
          const h = high.get(`${t.topic}:${p.partition}`) ?? 0;
          const committed = Number(p.offset);
          if (committed >= 0) known = true;
          sum += committed >= 0 ? Math.max(0, h - committed) : h;
        }
      }
      if (known) lag[groupId] = sum;
    }
    return lag;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Waits until every consumer group has caught up with `topics` (or the deadline). */
export async function waitNoLag(kafka, topics, { timeoutMs = 60_000 } = {}) {
  const started = performance.now();
  let lag = {};
  while (performance.now() - started < timeoutMs) {
    lag = await groupLag(kafka, topics).catch(() => ({ error: -1 }));
    if (Object.keys(lag).length && Object.values(lag).every((v) => v === 0)) return { lag, ms: performance.now() - started };
    await sleep(250);
  }
  return { lag, ms: performance.now() - started, timedOut: true };
}
