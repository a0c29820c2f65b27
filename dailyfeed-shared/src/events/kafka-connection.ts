/**
 * The one place that builds a kafkajs client. kafkajs is CommonJS: its runtime values
 * come through the default import (Node's ESM loader does not see all named exports).
 */
import kafkajs from 'kafkajs';
import type { Kafka, KafkaConfig, LogEntry, RetryOptions } from 'kafkajs';

const { Kafka: KafkaClient, logLevel: KafkaLogLevel } = kafkajs;

/** The subset of a pino logger the event layer writes to. */
export interface EventLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface CreateKafkaOptions {
  /** host:port list (split KAFKA_BROKERS with splitList). */
  brokers: string[];
  clientId: string;
  /** kafkajs' own logs go here; without a logger they are dropped. */
  logger?: EventLogger;
  /** Default 'error': kafkajs is chatty at info (every join, every reconnect). */
  logLevel?: KafkaLogLevel;
  /** TCP connect timeout, ms. Default 3000. */
  connectionTimeout?: number;
  /** Request timeout, ms. Default 10000. */
  requestTimeout?: number;
  /** Default retry of every client made from this instance. */
  retry?: RetryOptions;
}

const LEVELS: Record<KafkaLogLevel, number> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

export function createKafka(options: CreateKafkaOptions): Kafka {
  if (options.brokers.length === 0) throw new RangeError('createKafka: brokers is empty');
  const logger = options.logger;
  const level = logger ? LEVELS[options.logLevel ?? 'error'] : KafkaLogLevel.NOTHING;
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeout ?? 3_000,
    requestTimeout: options.requestTimeout ?? 10_000,
    logLevel: level,
    logCreator: () => (entry: LogEntry) => {
      if (!logger || entry.level > level || entry.level === KafkaLogLevel.NOTHING) return;
      const { message, timestamp: _timestamp, ...extra } = entry.log;
      const record = { component: 'kafkajs', namespace: entry.namespace, ...extra };
      if (entry.level === KafkaLogLevel.ERROR) logger.error(record, message);
      else if (entry.level === KafkaLogLevel.WARN) logger.warn(record, message);
      else if (entry.level === KafkaLogLevel.INFO) logger.info(record, message);
      else logger.debug(record, message);
    },
  };
  if (options.retry) config.retry = options.retry;
  return new KafkaClient(config);
}
