/** Test support: config as production builds it, unique words and ids per run. */
import { randomInt } from 'node:crypto';
import { loadSearchConfig, type SearchConfig } from '../src/config.ts';

export function testConfig(overrides: Record<string, string> = {}): SearchConfig {
  return loadSearchConfig({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:59092',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:56379',
    MEMBER_SVC_URL: 'http://127.0.0.1:1',
    SEARCH_INDEXER_ENABLED: 'false',
    SEARCH_JOBS_ENABLED: 'false',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'silent',
    ...process.env,
    ...overrides,
  } as NodeJS.ProcessEnv);
}

/** Random Hangul syllables: words no other suite's data contains. */
export const hangulWord = (syllables: number): string =>
  Array.from({ length: syllables }, () => String.fromCharCode(0xac00 + randomInt(0, 11172))).join('');

/** A random lower-case latin word. */
export const latinWord = (length: number): string =>
  Array.from({ length }, () => String.fromCharCode(97 + randomInt(0, 26))).join('');

let next = BigInt(Date.now()) * 1000n + BigInt(randomInt(0, 1000)) * 1_000_000_000_000n;
/** Ids unlikely to meet another run's (time-based, large). */
export const newId = (): string => (next += 1n).toString();

/** Polls until check() returns true or the deadline passes; returns the elapsed ms. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000, intervalMs = 50): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
