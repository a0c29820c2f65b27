/**
 * The real broker for the event tests: KAFKA_BROKERS, or the local stack's 127.0.0.1:59092.
 * `probeKafka()` answers whether it is reachable (and why not), so suites can skip with a reason.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../src/events/index.ts';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:59092')
  .split(',')
  .map((broker) => broker.trim())
  .filter(Boolean);

export const testKafka = (clientId = 'dailyfeed-events-test'): Kafka =>
  createKafka({ brokers, clientId, connectionTimeout: 2_000, requestTimeout: 10_000 });

export async function probeKafka(): Promise<string | null> {
  const kafka = createKafka({ brokers, clientId: 'probe', connectionTimeout: 1_500, retry: { retries: 0 } });
  const admin = kafka.admin({ retry: { retries: 0 } });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 5 s')), 5_000).unref());
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.listTopics();
      })(),
      timeout,
    ]);
    return null;
  } catch (error) {
    return `no Kafka broker at ${brokers.join(',')} (${(error as Error).message}); set KAFKA_BROKERS or start the local stack`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export const uniqueId = (label: string): string => `test-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A clock the test moves by hand. */
export const manualClock = (start: Date) => {
  let current = start;
  return {
    now: () => current,
    set: (date: Date) => {
      current = date;
    },
  };
};
