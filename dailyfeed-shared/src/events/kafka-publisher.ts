/**
 * The publishing port and its kafkajs adapter. The application depends on EventPublisher
 * only, so a KafkaJS-compatible client can replace kafkajs behind it.
 */
import kafkajs from 'kafkajs';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { childTraceparent, currentRequestContext } from '../http/request-context.ts';
import { systemClock, TimeoutError, withTimeout, type Clock } from './clock.ts';
import { EventPublishError } from './errors.ts';
import { encodeEventValue, recordKeyOf, type ActivityEvent } from './event-types.ts';
import type { EventLogger } from './kafka-connection.ts';
import { createTopicsIfMissing } from './topic-ensurer.ts';
import { datedTopicName, producerTopics, type TopicNaming } from './topics.ts';
import { msUntilZonedMidnight } from './zoned-time.ts';

const { Partitioners } = kafkajs;

export interface PublishOptions {
  /** The traceparent an event was recorded under (an outbox row keeps it); the record gets a child of it. */
  traceparentOf?: (event: ActivityEvent) => string | undefined;
}

export interface EventPublisher {
  /**
   * Publishes the events, in order, to the dated topic of the publish time. Resolves once the
   * broker acknowledged them all; rejects with EventPublishError (bounded by publishTimeoutMs).
   */
  publish(events: readonly ActivityEvent[], options?: PublishOptions): Promise<void>;
  /** Makes sure today's and tomorrow's topics (of `now`, in the topic zone) exist. */
  ensureTopics(now?: Date): Promise<void>;
  close(): Promise<void>;
}

export interface TopicKeeper {
  stop(): void;
}

export interface TopicKeeperOptions {
  clock?: Clock;
  /** Re-ensure period, ms. Default 1 h. */
  intervalMs?: number;
  /** Also run this long before midnight in the topic zone, ms. Default 10 min. */
  beforeMidnightMs?: number;
  /** After a failure, try again after this long, ms. Default 30 s. */
  retryMs?: number;
}

export interface KafkaEventPublisherOptions {
  kafka: Kafka;
  naming: TopicNaming;
  /** KAFKA_TOPIC_PARTITIONS */
  partitions: number;
  /** KAFKA_REPLICATION_FACTOR */
  replicationFactor: number;
  /** KAFKA_ACKS: '1' (leader) or 'all' (with min.insync.replicas). */
  acks: '1' | 'all';
  clock?: Clock;
  /** Upper bound of one publish (connect, topic check, send), ms. Default 5000. */
  publishTimeoutMs?: number;
  /** Upper bound of one ensureTopics, ms. Default 10000. */
  ensureTimeoutMs?: number;
  logger?: EventLogger;
}

export class KafkaEventPublisher implements EventPublisher {
  readonly #kafka: Kafka;
  readonly #naming: TopicNaming;
  readonly #options: Required<Pick<KafkaEventPublisherOptions, 'partitions' | 'replicationFactor' | 'publishTimeoutMs' | 'ensureTimeoutMs'>>;
  readonly #acks: 1 | -1;
  readonly #clock: Clock;
  readonly #logger: EventLogger | undefined;
  #producer: Producer | null = null;
  #producerConnecting: Promise<Producer> | null = null;
  #admin: Admin | null = null;
  #adminConnecting: Promise<Admin> | null = null;
  /** Topics this publisher created or saw: no admin round trip per publish. */
  readonly #ensured = new Set<string>();
  readonly #ensuring = new Map<string, Promise<void>>();
  readonly #keepers = new Set<TopicKeeper>();
  #closed = false;

  constructor(options: KafkaEventPublisherOptions) {
    this.#kafka = options.kafka;
    this.#naming = options.naming;
    this.#options = {
      partitions: options.partitions,
      replicationFactor: options.replicationFactor,
      publishTimeoutMs: options.publishTimeoutMs ?? 5_000,
      ensureTimeoutMs: options.ensureTimeoutMs ?? 10_000,
    };
    this.#acks = options.acks === 'all' ? -1 : 1;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
  }

  async publish(events: readonly ActivityEvent[], options: PublishOptions = {}): Promise<void> {
    if (this.#closed) throw new EventPublishError('publisher is closed');
    if (events.length === 0) return;
    const now = this.#clock.now();
    const topic = datedTopicName(now, this.#naming);
    let messages: Message[];
    try {
      const context = currentRequestContext();
      messages = events.map((event) => ({
        key: recordKeyOf(event),
        value: encodeEventValue(event),
        headers: {
          eventId: event.eventId,
          eventType: event.type,
          traceparent: childTraceparent(options.traceparentOf?.(event) ?? context?.traceparent),
        },
      }));
    } catch (error) {
      throw new EventPublishError(`cannot publish: ${(error as Error).message}`, { cause: error });
    }
    const limit = this.#options.publishTimeoutMs;
    try {
      await withTimeout(
        (async () => {
          const producer = await this.#connectProducer();
          if (!this.#ensured.has(topic)) await this.#ensure(now);
          await producer.send({ topic, acks: this.#acks, timeout: limit, messages });
        })(),
        limit,
        () => new TimeoutError(`no acknowledgement within ${limit} ms`),
      );
    } catch (error) {
      throw new EventPublishError(`publishing ${events.length} event(s) to ${topic} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async ensureTopics(now: Date = this.#clock.now()): Promise<void> {
    if (this.#closed) throw new EventPublishError('publisher is closed');
    const limit = this.#options.ensureTimeoutMs;
    try {
      await withTimeout(this.#ensure(now), limit, () => new TimeoutError(`topics not ensured within ${limit} ms`));
    } catch (error) {
      throw new EventPublishError(`ensuring topics ${producerTopics(now, this.#naming).join(', ')} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Ensures the topics now, then again every `intervalMs` and shortly before midnight in the
   * topic zone; failures are logged and retried after `retryMs`. Never blocks the caller.
   */
  startTopicKeeper(options: TopicKeeperOptions = {}): TopicKeeper {
    const clock = options.clock ?? this.#clock;
    const intervalMs = options.intervalMs ?? 3_600_000;
    const beforeMidnightMs = options.beforeMidnightMs ?? 600_000;
    const retryMs = options.retryMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const schedule = (delay: number) => {
      if (stopped) return;
      timer = setTimeout(() => void tick(), Math.max(1_000, delay));
      timer.unref();
    };
    const tick = async () => {
      const now = clock.now();
      try {
        await this.ensureTopics(now);
      } catch (error) {
        this.#logger?.warn({ err: error }, 'dated topics not ensured; retrying');
        schedule(retryMs);
        return;
      }
      const toMidnight = msUntilZonedMidnight(now, this.#naming.timeZone);
      const beforeMidnight = toMidnight > beforeMidnightMs ? toMidnight - beforeMidnightMs : toMidnight + 1_000;
      schedule(Math.min(intervalMs, beforeMidnight));
    };
    const keeper: TopicKeeper = {
      stop: () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        this.#keepers.delete(keeper);
      },
    };
    this.#keepers.add(keeper);
    void tick();
    return keeper;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const keeper of [...this.#keepers]) keeper.stop();
    const disconnect = async (client: Producer | Admin | null, connecting: Promise<unknown> | null) => {
      // A connect still in flight may finish later: disconnect that client too.
      connecting?.then(() => client?.disconnect()).catch(() => undefined);
      if (client) await withTimeout(client.disconnect(), 5_000, () => new TimeoutError('disconnect timed out')).catch(() => undefined);
    };
    await Promise.all([disconnect(this.#producer, this.#producerConnecting), disconnect(this.#admin, this.#adminConnecting)]);
  }

  // ------------------------------------------------------------------------------------------

  #connectProducer(): Promise<Producer> {
    if (!this.#producerConnecting) {
      const producer = (this.#producer ??= this.#kafka.producer({
        allowAutoTopicCreation: false,
        maxInFlightRequests: 1,
        idempotent: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        // Short: a publish fails within seconds when the broker is down; the outbox relay retries.
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      }));
      this.#producerConnecting = producer.connect().then(
        () => producer,
        (error: unknown) => {
          this.#producerConnecting = null; // the next publish tries again
          throw error;
        },
      );
      // kafkajs drops a broken connection and reconnects on the next send; nothing to reset here.
    }
    return this.#producerConnecting;
  }

  #connectAdmin(): Promise<Admin> {
    if (!this.#adminConnecting) {
      const admin = (this.#admin ??= this.#kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } }));
      this.#adminConnecting = admin.connect().then(
        () => admin,
        (error: unknown) => {
          this.#adminConnecting = null;
          throw error;
        },
      );
    }
    return this.#adminConnecting;
  }

  /** One in-flight ensure per topic pair in this process. */
  #ensure(now: Date): Promise<void> {
    const names = producerTopics(now, this.#naming);
    const key = names.join(',');
    let pending = this.#ensuring.get(key);
    if (!pending) {
      pending = (async () => {
        const admin = await this.#connectAdmin();
        const created = await createTopicsIfMissing(admin, names, {
          partitions: this.#options.partitions,
          replicationFactor: this.#options.replicationFactor,
          timeoutMs: this.#options.ensureTimeoutMs,
        });
        for (const name of names) this.#ensured.add(name);
        // Two topics a day: keep the set small (the oldest names first out).
        for (const name of this.#ensured) {
          if (this.#ensured.size <= 8) break;
          this.#ensured.delete(name);
        }
        if (created.length > 0) this.#logger?.info({ topics: created }, 'created dated topics');
      })().finally(() => this.#ensuring.delete(key));
      this.#ensuring.set(key, pending);
    }
    return pending;
  }
}

export const createKafkaEventPublisher = (options: KafkaEventPublisherOptions): KafkaEventPublisher => new KafkaEventPublisher(options);
