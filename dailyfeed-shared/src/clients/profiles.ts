/**
 * Resilience profiles of service-to-service calls: operations.md §4, numbers exactly as the table.
 *
 * | profile  | breaker opens at              | call timeout | half-open after | retry                  | rate limit             |
 * |----------|-------------------------------|--------------|-----------------|------------------------|------------------------|
 * | critical | 40% of the last 50 (min 5)    | 3s           | 30s             | 2 attempts, 300ms      | 200/s, wait up to 100ms|
 * | default  | 50% of the last 100 (min 10)  | 5s           | 60s             | 3 attempts, 500ms      | 100/s                  |
 * | bulk     | 60% of the last 200 (min 20)  | 10s          | 120s            | 2 attempts, 1s         | 50/s                   |
 *
 * Readings of the table (documented in clients/README.md):
 * - "N attempts" counts the first call: 2 attempts = 1 call + 1 retry.
 * - "opens at X%" opens when the failure rate is >= X% (Resilience4j's rule).
 * - The table gives a rate-limit wait only for `critical`; `default` and `bulk` wait up to
 *   500 ms and 1 s (our choice: well below their call timeouts, so a queued call still has time).
 */

export type ClientProfileName = 'critical' | 'default' | 'bulk';

export interface ClientProfile {
  breaker: {
    /** 0..1: the breaker opens when failures / calls in the window >= this. */
    failureRate: number;
    /** Size of the count-based sliding window (last N calls). */
    window: number;
    /** No decision before this many calls are in the window. */
    minimumCalls: number;
    /** An open breaker lets one test call through after this long. */
    halfOpenAfterMs: number;
  };
  /** Per attempt; an attempt that hits it is a failure for retry and breaker ("slow call"). */
  callTimeoutMs: number;
  retry: {
    /** Total attempts, the first call included (1 = never retry). */
    attempts: number;
    /** Wait between attempts. */
    backoffMs: number;
  };
  rateLimit: {
    /** Sustained calls per second per calling process (bursts up to one second's worth). */
    perSecond: number;
    /** A call that would wait longer than this for a permit fails at once as unavailable. */
    maxWaitMs: number;
  };
}

export const CLIENT_PROFILES: Readonly<Record<ClientProfileName, Readonly<ClientProfile>>> = Object.freeze({
  critical: {
    breaker: { failureRate: 0.4, window: 50, minimumCalls: 5, halfOpenAfterMs: 30_000 },
    callTimeoutMs: 3_000,
    retry: { attempts: 2, backoffMs: 300 },
    rateLimit: { perSecond: 200, maxWaitMs: 100 },
  },
  default: {
    breaker: { failureRate: 0.5, window: 100, minimumCalls: 10, halfOpenAfterMs: 60_000 },
    callTimeoutMs: 5_000,
    retry: { attempts: 3, backoffMs: 500 },
    rateLimit: { perSecond: 100, maxWaitMs: 500 },
  },
  bulk: {
    breaker: { failureRate: 0.6, window: 200, minimumCalls: 20, halfOpenAfterMs: 120_000 },
    callTimeoutMs: 10_000,
    retry: { attempts: 2, backoffMs: 1_000 },
    rateLimit: { perSecond: 50, maxWaitMs: 1_000 },
  },
});

export type ServiceName = 'member' | 'content' | 'timeline' | 'image' | 'search' | 'activity';

/** Which profile a call to each service uses (table column "used for calls to"; search is not listed: default). */
export const SERVICE_PROFILES: Readonly<Record<ServiceName, ClientProfileName>> = Object.freeze({
  member: 'critical',
  timeline: 'critical',
  content: 'default',
  activity: 'default',
  search: 'default',
  image: 'bulk',
});

export interface ProfileOverrides {
  breaker?: Partial<ClientProfile['breaker']>;
  callTimeoutMs?: number;
  retry?: Partial<ClientProfile['retry']>;
  rateLimit?: Partial<ClientProfile['rateLimit']>;
}

/** The profile with overrides applied (tests shrink times; config may tune rate limits). */
export function resolveProfile(name: ClientProfileName, overrides: ProfileOverrides = {}): ClientProfile {
  const base = CLIENT_PROFILES[name];
  if (!base) throw new Error(`unknown client profile '${String(name)}' (expected critical, default or bulk)`);
  const profile: ClientProfile = {
    breaker: { ...base.breaker, ...overrides.breaker },
    callTimeoutMs: overrides.callTimeoutMs ?? base.callTimeoutMs,
    retry: { ...base.retry, ...overrides.retry },
    rateLimit: { ...base.rateLimit, ...overrides.rateLimit },
  };
  const checks: Array<[boolean, string]> = [
    [profile.breaker.failureRate > 0 && profile.breaker.failureRate <= 1, 'breaker.failureRate must be in (0, 1]'],
    [Number.isInteger(profile.breaker.window) && profile.breaker.window >= 1, 'breaker.window must be a positive integer'],
    [Number.isInteger(profile.breaker.minimumCalls) && profile.breaker.minimumCalls >= 1, 'breaker.minimumCalls must be a positive integer'],
    [profile.breaker.halfOpenAfterMs >= 0, 'breaker.halfOpenAfterMs must be >= 0'],
    [profile.callTimeoutMs > 0, 'callTimeoutMs must be > 0'],
    [Number.isInteger(profile.retry.attempts) && profile.retry.attempts >= 1, 'retry.attempts must be an integer >= 1'],
    [profile.retry.backoffMs >= 0, 'retry.backoffMs must be >= 0'],
    [profile.rateLimit.perSecond > 0, 'rateLimit.perSecond must be > 0'],
    [profile.rateLimit.maxWaitMs >= 0, 'rateLimit.maxWaitMs must be >= 0'],
  ];
  for (const [ok, message] of checks) if (!ok) throw new Error(`client profile '${name}': ${message}`);
  return profile;
}
