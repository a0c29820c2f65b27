/**
 * Configuration is read once at boot from the environment and validated against
 * a TypeBox schema whose keys are the variable names; a missing or malformed value
 * stops the service with a message that names the variable.
 */
import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Value } from 'typebox/value';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Variables every service reads. */
export const BaseConfigSchema = {
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('production'), Type.Literal('development'), Type.Literal('test')], { default: 'production' })),
  HOST: Type.String({ default: '0.0.0.0' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  DAILYFEED_CORS_ORIGINS: Type.String({ default: '', description: 'comma-separated origins allowed by CORS' }),
  DAILYFEED_LOCAL_MODE: Type.Boolean({ default: false }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  /** Proxies in front of the service (local: the gateway; cluster: ingress + sidecar = 2). */
  TRUSTED_PROXY_HOPS: Type.Integer({ minimum: 0, default: 1 }),
};

/** Variables of a service that uses Kafka. */
export const KafkaConfigSchema = {
  KAFKA_BROKERS: Type.String({ minLength: 1, description: 'comma-separated host:port list' }),
  KAFKA_CLIENT_ID: Type.Optional(Type.String()),
  DAILYFEED_TOPIC_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9._-]*$' }),
  DAILYFEED_TOPIC_TIMEZONE: Type.String({ default: 'Asia/Seoul' }),
  DAILYFEED_TOPIC_RETENTION_DAYS: Type.Integer({ minimum: 1, default: 7 }),
  KAFKA_TOPIC_PARTITIONS: Type.Integer({ minimum: 1, default: 3 }),
  KAFKA_REPLICATION_FACTOR: Type.Integer({ minimum: 1, default: 1 }),
  KAFKA_ACKS: Type.Union([Type.Literal('1'), Type.Literal('all')], { default: '1' }),
};

export function loadConfig<P extends TProperties>(properties: P, env: NodeJS.ProcessEnv = process.env): Static<TObject<P>> {
  const schema = Type.Object(properties);
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  const errors = [...Value.Errors(schema, converted)];
  if (errors.length > 0) {
    const messages = errors.flatMap((error) => {
      const required = (error.params as { requiredProperties?: string[] }).requiredProperties;
      if (required) return required.map((name) => `${name} is required`);
      const name = error.instancePath.replace(/^\//, '');
      return [`${name} is malformed (${error.message}): got ${JSON.stringify(redact(name, raw[name]))}`];
    });
    throw new ConfigError(`invalid configuration: ${[...new Set(messages)].join('; ')}`);
  }
  return converted as Static<TObject<P>>;
}

const SECRET_NAME = /(PASSWORD|SECRET|KEY|TOKEN|KEK|URL)/;
/** Never echo a secret (connection URLs carry passwords) in an error message. */
const redact = (name: string, value: unknown) => (SECRET_NAME.test(name) ? '<redacted>' : value);

export const splitList = (value: string): string[] =>
  value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
