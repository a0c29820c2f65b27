import { Type, type Static } from 'typebox';
import { BaseConfigSchema, ConfigError, KafkaConfigSchema, loadConfig } from '../dailyfeed-shared/src/config/config.ts';

export const MemberConfigSchema = {
  ...BaseConfigSchema,
  ...KafkaConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 2, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  /** Optional: without it (tests, a stack without image-svc) avatar attach/delete calls are skipped. */
  IMAGE_SVC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Key-encryption key of the signing keys: base64 of 32 random bytes, generated at install time. */
  JWT_KEK: Type.String({ minLength: 40 }),
  JWT_ISSUER: Type.String({ default: 'dailyfeed-member-svc' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 3_600 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, default: 14 * 86_400 }),
  REFRESH_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 10 }),
  KEY_ROTATION_INTERVAL_SECONDS: Type.Integer({ minimum: 60, default: 86_400 }),
  /** How often every replica re-reads the key table (besides the reload on an unknown kid). */
  KEY_RELOAD_INTERVAL_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 8_192, default: 47_104 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 1, default: 2 }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, default: 1 }),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: Type.Integer({ minimum: 1, default: 5 }),
  LOGIN_MAX_FAILURES_PER_IP: Type.Integer({ minimum: 1, default: 50 }),
  LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  /** Proxies in front of the service that append to X-Forwarded-For (gateway / Istio ingress): 1. 0 = use the socket address. */
  TRUSTED_PROXY_HOPS: Type.Integer({ minimum: 0, maximum: 5, default: 1 }),
  FOLLOW_LIMIT: Type.Integer({ minimum: 1, default: 1_000 }),
  /** Periodic jobs (key rotation, cleanup); tests turn them off and tick them by hand. */
  MEMBER_JOBS_ENABLED: Type.Boolean({ default: true }),
  /** The outbox relay (publishes MEMBER_FOLLOW/UNFOLLOW to Kafka); tests without Kafka turn it off. */
  MEMBER_OUTBOX_RELAY_ENABLED: Type.Boolean({ default: true }),
};
export type MemberConfig = Static<ReturnType<typeof configType>>;
const configType = () => Type.Object(MemberConfigSchema);

export function loadMemberConfig(env: NodeJS.ProcessEnv = process.env): MemberConfig {
  const config = loadConfig(MemberConfigSchema, env);
  kekBytes(config.JWT_KEK); // fail at boot, naming the variable, not at the first login
  return config;
}

/** JWT_KEK decoded; exactly 32 bytes or a ConfigError. */
export function kekBytes(value: string): Buffer {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new ConfigError('invalid configuration: JWT_KEK must be base64 of 32 random bytes (openssl rand -base64 32)');
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) throw new ConfigError(`invalid configuration: JWT_KEK must decode to 32 bytes, got ${bytes.length}`);
  return bytes;
}
