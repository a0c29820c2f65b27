/**
 * Failed-login limits per account and per client IP, in Redis so every replica counts together.
 * A key counts failures within a fixed window that starts at the first failure; once the count
 * reaches the limit, attempts (right or wrong) get 429 with Retry-After until the window ends.
 * A success clears the account's counter. Redis down: logins are not throttled (logged), since
 * refusing every login would turn a cache outage into a full outage.
 */
import type { Redis } from 'ioredis';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { sha256 } from '../support/crypto.ts';

export interface ThrottleLimits {
  perAccount: number;
  perIp: number;
  windowSeconds: number;
}

interface Logger {
  warn(obj: object, msg: string): void;
}

const accountKey = (email: string) => `dailyfeed:member:login-fail:acct:${sha256(email.toLowerCase()).toString('base64url')}`;
const ipKey = (ip: string) => `dailyfeed:member:login-fail:ip:${ip}`;

export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly limits: ThrottleLimits,
    private readonly log: Logger,
  ) {}

  /** 429 when either counter is at its limit. */
  async check(email: string, ip: string): Promise<void> {
    const keys = [accountKey(email), ipKey(ip)];
    let counts: Array<string | null>;
    try {
      counts = await this.redis.mget(keys);
    } catch (error) {
      this.log.warn({ err: error }, 'login throttle unavailable (redis)');
      return;
    }
    const limits = [this.limits.perAccount, this.limits.perIp];
    for (let i = 0; i < keys.length; i++) {
      if (Number(counts[i] ?? 0) >= limits[i]!) {
        const ttlMs = await this.redis.pttl(keys[i]!).catch(() => this.limits.windowSeconds * 1000);
        const retryAfter = Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : this.limits.windowSeconds * 1000) / 1000));
        throw new AppError(429, ErrorCode.TOO_MANY_REQUESTS, 'too many failed login attempts; try again later', {
          headers: { 'retry-after': String(retryAfter) },
        });
      }
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    try {
      const pipeline = this.redis.pipeline();
      for (const key of [accountKey(email), ipKey(ip)]) {
        pipeline.set(key, '0', 'EX', this.limits.windowSeconds, 'NX');
        pipeline.incr(key);
      }
      await pipeline.exec();
    } catch (error) {
      this.log.warn({ err: error }, 'login throttle unavailable (redis)');
    }
  }

  async reset(email: string): Promise<void> {
    await this.redis.del(accountKey(email)).catch(() => undefined);
  }
}
