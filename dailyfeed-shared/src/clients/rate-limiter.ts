/**
 * Per-process rate limit of one client, on bottleneck: a token bucket of `perSecond`
 * permits (bursts up to one second's worth), refilled every TICK_MS, with "wait up to"
 * semantics: a call that would wait longer than `maxWaitMs` for a permit fails at once.
 *
 * How the wait bound is kept without a timer per call: while the bucket is empty, the k-th
 * queued call gets its permit after about k / perSecond seconds, so the queue may hold at most
 * floor(perSecond * maxWaitMs / 1000) calls (bottleneck `highWater`, strategy OVERFLOW drops
 * the newcomer). A timer at maxWaitMs + one tick is the safety net for the refill granularity;
 * a call it gives up on leaves its permit unused (it starts, sees it was abandoned, returns).
 */
import Bottleneck from 'bottleneck';

export class RateLimitExceededError extends Error {
  constructor(maxWaitMs: number) {
    super(`rate limit exceeded: no permit within ${maxWaitMs} ms`);
    this.name = 'RateLimitExceededError';
  }
}

const TICK_MS = 25;
/**
 * The safety timer's slack past maxWaitMs. bottleneck grants permits asynchronously; on a
 * busy machine a timer of one tick fired before permits that were available got granted.
 * The queue bound (highWater) is what keeps the wait; this only catches refill granularity.
 */
const SAFETY_SLACK_MS = 250;

export class RateLimiter {
  private readonly limiter: Bottleneck;
  private readonly maxWaitMs: number;

  constructor({ perSecond, maxWaitMs }: { perSecond: number; maxWaitMs: number }) {
    this.maxWaitMs = maxWaitMs;
    this.limiter = new Bottleneck({
      reservoir: perSecond,
      reservoirIncreaseInterval: TICK_MS,
      reservoirIncreaseAmount: (perSecond * TICK_MS) / 1000,
      reservoirIncreaseMaximum: perSecond,
      heartbeatInterval: TICK_MS,
      highWater: Math.floor((perSecond * maxWaitMs) / 1000),
      strategy: Bottleneck.strategy.OVERFLOW,
    } as Bottleneck.ConstructorOptions);
    // bottleneck reports dropped jobs as 'error' events too; the rejection of schedule() is what we use.
    this.limiter.on('error', () => undefined);
  }

  /** Resolves when a permit is granted; rejects with RateLimitExceededError otherwise. */
  acquire(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new RateLimitExceededError(this.maxWaitMs));
      }, this.maxWaitMs + SAFETY_SLACK_MS);
      timer.unref();
      this.limiter
        .schedule(async () => {
          if (settled) return; // abandoned by the safety timer
          settled = true;
          clearTimeout(timer);
          resolve();
        })
        .catch(() => {
          // dropped (queue at its high-water mark) or the limiter was stopped
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(new RateLimitExceededError(this.maxWaitMs));
        });
    });
  }

  async stop(): Promise<void> {
    await this.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }
}
