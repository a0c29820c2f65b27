import { Type, type Static } from 'typebox';
import { BaseConfigSchema, KafkaConfigSchema, loadConfig } from '../dailyfeed-shared/src/config/config.ts';

export const ContentConfigSchema = {
  ...BaseConfigSchema,
  ...KafkaConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8082 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  MEMBER_SVC_URL: Type.String({ pattern: '^https?://' }),
  /** Empty: posts with images are refused (no image-svc to check ownership with). */
  IMAGE_SVC_URL: Type.String({ default: '' }),
  /** Off only for the benchmark baseline: events stay in the outbox. */
  CONTENT_RELAY_ENABLED: Type.Boolean({ default: true }),
};
const configType = () => Type.Object(ContentConfigSchema);
export type ContentConfig = Static<ReturnType<typeof configType>>;

export const loadContentConfig = (env: NodeJS.ProcessEnv = process.env): ContentConfig => loadConfig(ContentConfigSchema, env);
