/**
 * A consumer group member reading the dated topics of a moving window (yesterday, today,
 * tomorrow in the topic zone). kafkajs freezes a subscription at subscribe time and only ever
 * adds topics to a consumer, so when the window changes the listener replaces its consumer
 * (disconnect: leave the group; a new consumer: subscribe to the new window, run).
 *
 * Delivery: at least once. A record's offset is resolved and committed only after
 * `handle` returned (the effect is stored) or, when decoding or `handle` failed, after
 * `onFailure` stored the dead letter. If `onFailure` throws, the batch is retried by kafkajs
 * from the last committed offset, so nothing is skipped silently.
 */
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { childTraceparent, runWithRequestContext } from '../http/request-context.ts';
import { systemClock, type Clock } from './clock.ts';
import { decodeEventValue, type ActivityEvent } from './event-types.ts';
import type { EventLogger } from './kafka-connection.ts';
import { topicWindow, type TopicNaming } from './topics.ts';

export interface RecordMeta {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** The record timestamp (ms since the epoch, as kafkajs gives it). */
  timestamp: string;
}

export interface ListenerFailure extends RecordMeta {
  value: Buffer | null;
  error: unknown;
  /** The event, when decoding succeeded and `handle` failed. */
  event?: ActivityEvent;
}

export interface DatedTopicListenerOptions {
  kafka: Kafka;
  groupId: string;
  naming: TopicNaming;
  /** Stores the event's effect. Resolving means "done": the offset is committed next. */
  handle(event: ActivityEvent, meta: RecordMeta): Promise<void>;
  /** Stores a dead letter. Throwing stops the partition until it succeeds (kafkajs retries). */
  onFailure(failure: ListenerFailure): Promise<void>;
  clock?: Clock;
  /** How often the window and the existing topics are checked, ms. Default 10 s. */
  windowCheckIntervalMs?: number;
  /** Consumer session timeout, ms. Default 30 s (tests use 6-10 s). */
  sessionTimeout?: number;
  /** Default 3 s; must be well below sessionTimeout. */
  heartbeatInterval?: number;
  /** Default: sessionTimeout * 2 (at least 10 s). */
  rebalanceTimeout?: number;
  /** Long-poll wait of a fetch, ms (kafkajs default 5000); a re-subscription waits for it. */
  maxWaitTimeInMs?: number;
  /**
   * Partitions handled in parallel by this member (order within a partition is kept).
   * Default 1: with more, kafkajs 2.2.4 was seen to stall a member after the rebalances of
   * repeated kills (the fault suite); raise it only with that suite green.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Resolved offsets are committed every this many records or `commitIntervalMs`, whichever
   * comes first (and at the end of each batch). Still at least once: only records whose
   * effect is stored are resolved; a crash redelivers at most this many per partition,
   * which the consumers' deduplication absorbs. Default 100 and 1000 ms.
   */
  commitEveryRecords?: number;
  commitIntervalMs?: number;
  logger?: EventLogger;
}

const headerText = (value: IHeaders[string]): string | undefined => {
  const one = Array.isArray(value) ? value[value.length - 1] : value;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
};

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const text = headerText(value);
    if (text !== undefined) out[name] = text;
  }
  return out;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, i) => item === b[i]);

export class OnFailureError extends Error {
  constructor(message: string, options: { cause?: unknown }) {
    super(message, options);
    this.name = 'OnFailureError';
  }
}

export class DatedTopicListener {
  readonly #options: DatedTopicListenerOptions;
  readonly #clock: Clock;
  #consumer: Consumer | null = null;
  #consumerBroken = false;
  #topics: string[] = [];
  #admin: Admin | null = null;
  #adminConnected: Promise<Admin> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: DatedTopicListenerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** The topics the current consumer is subscribed to. */
  get topics(): readonly string[] {
    return this.#topics;
  }

  /**
   * Subscribes to the window's existing topics and starts consuming; then re-checks every
   * windowCheckIntervalMs. Rejects if the first attempt fails, but keeps retrying on the timer
   * (a service may log the error and carry on; call stop() to give up).
   */
  async start(): Promise<void> {
    if (this.#stopped) throw new Error('listener was stopped');
    if (!this.#timer) {
      this.#timer = setInterval(() => {
        this.refresh().catch((error: unknown) => this.#options.logger?.warn({ err: error, groupId: this.#options.groupId }, 'dated topic subscription failed; retrying'));
      }, this.#options.windowCheckIntervalMs ?? 10_000);
      this.#timer.unref();
    }
    await this.refresh();
  }

  /** Re-computes the window now and re-subscribes if it changed (the timer calls this). */
  refresh(): Promise<void> {
    const next = this.#queue.then(() => this.#reconcile());
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#queue;
    await this.#dropConsumer();
    const admin = this.#admin;
    this.#admin = null;
    this.#adminConnected = null;
    await admin?.disconnect().catch(() => undefined);
  }

  /** Records not yet committed by the group, summed over the subscribed topics' partitions. */
  async lag(): Promise<number> {
    const topics = [...this.#topics];
    if (topics.length === 0) return 0;
    const admin = await this.#connectAdmin();
    const committed = await admin.fetchOffsets({ groupId: this.#options.groupId, topics });
    const committedOf = new Map<string, number>();
    for (const topic of committed) {
      for (const p of topic.partitions) committedOf.set(`${topic.topic}:${p.partition}`, Number(p.offset));
    }
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const high = Number(p.high);
        const done = committedOf.get(`${topic}:${p.partition}`) ?? -1;
        // No commit yet: the group starts from the beginning (fromBeginning), so count from low.
        total += Math.max(0, high - (done >= 0 ? done : Number(p.low)));
      }
    }
    return total;
  }

  // ------------------------------------------------------------------------------------------

  async #reconcile(): Promise<void> {
    if (this.#stopped) return;
    const window = topicWindow(this.#clock.now(), this.#options.naming);
    const admin = await this.#connectAdmin();
    const existing = new Set(await admin.listTopics());
    const wanted = window.filter((topic) => existing.has(topic));
    if (this.#consumer && !this.#consumerBroken && sameList(wanted, this.#topics)) return;
    await this.#dropConsumer();
    if (wanted.length === 0 || this.#stopped) return; // nothing to read yet: the timer checks again
    await this.#startConsumer(wanted);
  }

  async #startConsumer(topics: string[]): Promise<void> {
    const o = this.#options;
    const sessionTimeout = o.sessionTimeout ?? 30_000;
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout,
      heartbeatInterval: o.heartbeatInterval ?? 3_000,
      rebalanceTimeout: o.rebalanceTimeout ?? Math.max(10_000, sessionTimeout * 2),
      allowAutoTopicCreation: false,
      ...(o.maxWaitTimeInMs !== undefined ? { maxWaitTimeInMs: o.maxWaitTimeInMs } : {}),
    });
    this.#consumer = consumer;
    this.#consumerBroken = false;
    this.#topics = topics;
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart && this.#consumer === consumer) {
        o.logger?.error({ err: event.payload.error, groupId: o.groupId }, 'consumer crashed; replacing it');
        this.#consumerBroken = true; // the next check builds a new consumer
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        autoCommitThreshold: o.commitEveryRecords ?? 100,
        autoCommitInterval: o.commitIntervalMs ?? 1_000,
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 1,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      o.logger?.info({ groupId: o.groupId, topics }, 'listening to dated topics');
    } catch (error) {
      await this.#dropConsumer();
      throw error;
    }
  }

  async #dropConsumer(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = null;
    this.#topics = [];
    if (consumer) await consumer.disconnect().catch(() => undefined);
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      await this.#process(batch.topic, batch.partition, message);
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  async #process(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const meta: RecordMeta = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString('utf8') : null,
      headers: decodeHeaders(message.headers),
      timestamp: message.timestamp,
    };
    let event: ActivityEvent | undefined;
    try {
      const decoded = decodeEventValue(message.value);
      event = decoded;
      const context = { requestId: decoded.eventId, traceparent: childTraceparent(meta.headers.traceparent) };
      await runWithRequestContext(context, () => this.#options.handle(decoded, meta));
      return;
    } catch (error) {
      try {
        await this.#options.onFailure({ ...meta, value: message.value, error, ...(event ? { event } : {}) });
      } catch (failure) {
        this.#options.logger?.error({ err: failure, topic, partition, offset: message.offset }, 'onFailure failed; the batch will be retried');
        throw new OnFailureError(`onFailure failed for ${topic}[${partition}]@${message.offset}`, { cause: failure });
      }
    }
  }

  #connectAdmin(): Promise<Admin> {
    if (!this.#adminConnected) {
      const admin = (this.#admin ??= this.#options.kafka.admin());
      this.#adminConnected = admin.connect().then(
        () => admin,
        (error: unknown) => {
          this.#adminConnected = null;
          throw error;
        },
      );
    }
    return this.#adminConnected;
  }
}

export const createDatedTopicListener = (options: DatedTopicListenerOptions): DatedTopicListener => new DatedTopicListener(options);
