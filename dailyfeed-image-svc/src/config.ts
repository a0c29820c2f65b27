import { Type, type Static } from 'typebox';
import { BaseConfigSchema, loadConfig } from '../dailyfeed-shared/src/config/config.ts';

export const ImageConfigSchema = {
  ...BaseConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8084 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  MEMBER_SVC_URL: Type.String({ pattern: '^https?://' }),
  S3_ENDPOINT: Type.String({ pattern: '^https?://' }),
  S3_ACCESS_KEY: Type.String({ minLength: 1 }),
  S3_SECRET_KEY: Type.String({ minLength: 1 }),
  S3_BUCKET: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{2,62}$', default: 'dailyfeed-images' }),
  S3_REGION: Type.String({ default: 'us-east-1' }),
  /** Upload limit in bytes (api.md: 10 MB). */
  IMAGE_MAX_BYTES: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024 }),
  /** Decoded pixels above this are refused before decoding (decompression bombs). */
  IMAGE_MAX_PIXELS: Type.Integer({ minimum: 1, default: 40_000_000 }),
  /** Pipelines decoding at once; each holds one decoded image in memory. */
  IMAGE_PIPELINE_CONCURRENCY: Type.Integer({ minimum: 1, default: 2 }),
  /** Images never attached within this many hours are removed. */
  IMAGE_UNATTACHED_TTL_HOURS: Type.Number({ minimum: 0, default: 24 }),
  IMAGE_JOBS_ENABLED: Type.Boolean({ default: true }),
};
const configType = () => Type.Object(ImageConfigSchema);
export type ImageConfig = Static<ReturnType<typeof configType>>;

export const loadImageConfig = (env: NodeJS.ProcessEnv = process.env): ImageConfig => loadConfig(ImageConfigSchema, env);
