import { Type, type Static } from 'typebox';
import { BaseConfigSchema, KafkaConfigSchema, loadConfig } from '../dailyfeed-shared/src/config/config.ts';

export const MemberConfigSchema = {
  ...BaseConfigSchema,
  ...KafkaConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
};
export type MemberConfig = Static<ReturnType<typeof configType>>;
const configType = () => Type.Object(MemberConfigSchema);

export const loadMemberConfig = (env: NodeJS.ProcessEnv = process.env): MemberConfig => loadConfig(MemberConfigSchema, env);
