/** Builds member-svc's services from config and infrastructure (the composition root's middle tier). */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createServiceClient, type ServiceClient } from '../dailyfeed-shared/src/clients/service-client.ts';
import { AccountService } from './auth/account-service.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { Passwords } from './auth/passwords.ts';
import { kekBytes, type MemberConfig } from './config.ts';
import { FollowService } from './follows/follow-service.ts';
import { ProfileService } from './members/profile-service.ts';
import { AccessTokens } from './tokens/access-tokens.ts';
import { AuthState } from './tokens/auth-state.ts';
import { KeyStore } from './tokens/key-store.ts';
import type { Clock } from './support/clock.ts';
import type { MemberMetrics } from './support/metrics.ts';
import { SecretBox } from './support/crypto.ts';

export const KEYS_CHANGED_CHANNEL = 'dailyfeed:member:keys-changed';

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface MemberServices {
  config: MemberConfig;
  clock: Clock;
  pool: pg.Pool;
  keys: KeyStore;
  state: AuthState;
  accounts: AccountService;
  profiles: ProfileService;
  follows: FollowService;
  images: ServiceClient | undefined;
  metrics: MemberMetrics;
}

export function createServices(
  config: MemberConfig,
  deps: { pool: pg.Pool; redis: Redis; clock: Clock; log: Logger; metrics: MemberMetrics; onEventsCommitted?: () => void },
): MemberServices {
  const { pool, redis, clock, log, metrics } = deps;
  const box = new SecretBox(kekBytes(config.JWT_KEK));
  const keys = new KeyStore({
    pool,
    box,
    clock,
    rotationIntervalMs: config.KEY_ROTATION_INTERVAL_SECONDS * 1000,
    maxTokenLifetimeMs: config.ACCESS_TOKEN_TTL_SECONDS * 1000,
    reloadIntervalMs: config.KEY_RELOAD_INTERVAL_SECONDS * 1000,
    onChanged: () => void redis.publish(KEYS_CHANGED_CHANNEL, String(clock.now())).catch(() => undefined),
  });
  const accessTokens = new AccessTokens(keys, clock, config.ACCESS_TOKEN_TTL_SECONDS, config.JWT_ISSUER);
  const state = new AuthState(redis, pool, clock, log);
  const images = config.IMAGE_SVC_URL ? createServiceClient({ serviceName: 'image', baseUrl: config.IMAGE_SVC_URL, profile: 'bulk' }) : undefined;
  const accounts = new AccountService({
    pool,
    clock,
    box,
    keys,
    accessTokens,
    state,
    passwords: new Passwords({ memoryCost: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST, parallelism: config.ARGON2_PARALLELISM }),
    throttle: new LoginThrottle(redis, {
      perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perIp: config.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
    }, log),
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    refreshGraceSeconds: config.REFRESH_GRACE_SECONDS,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  return {
    config,
    clock,
    pool,
    keys,
    state,
    accounts,
    profiles: new ProfileService({ pool, state, images, log }),
    follows: new FollowService({
      pool,
      state,
      followLimit: config.FOLLOW_LIMIT,
      topicTimeZone: config.DAILYFEED_TOPIC_TIMEZONE,
      ...(deps.onEventsCommitted ? { onEventsCommitted: deps.onEventsCommitted } : {}),
    }),
    images,
    metrics,
  };
}
