/**
 * Housekeeping of dated topics: listing them and deleting the days past the retention.
 * Only topics of this prefix are ever touched. Running it in exactly one replica (a job
 * runner holding an advisory lock) is the caller's duty.
 */
import type { Admin, Kafka } from 'kafkajs';
import { parseDatedTopic, topicsOlderThan, type TopicDate, type TopicNaming } from './topics.ts';

export interface DatedTopic extends TopicDate {
  name: string;
}

export interface DatedTopicAdminOptions {
  kafka: Kafka;
  naming: TopicNaming;
  /** Broker-side timeout of a delete request, ms. Default 10000. */
  timeoutMs?: number;
}

export class DatedTopicAdmin {
  readonly #kafka: Kafka;
  readonly #naming: TopicNaming;
  readonly #timeoutMs: number;
  #admin: Admin | null = null;
  #connected: Promise<Admin> | null = null;

  constructor(options: DatedTopicAdminOptions) {
    this.#kafka = options.kafka;
    this.#naming = options.naming;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The dated topics of this prefix, oldest first. */
  async listDatedTopics(): Promise<DatedTopic[]> {
    const admin = await this.#connect();
    const topics: DatedTopic[] = [];
    for (const name of await admin.listTopics()) {
      const date = parseDatedTopic(name, this.#naming.prefix);
      if (date) topics.push({ name, ...date });
    }
    return topics.sort((a, b) => (a.ymd < b.ymd ? -1 : a.ymd > b.ymd ? 1 : 0));
  }

  /**
   * Deletes this prefix's dated topics whose day is more than `retentionDays` before the day
   * of `now` in the topic zone. Returns the names deleted (already-gone topics are not an error).
   */
  async deleteTopicsOlderThan(retentionDays: number, now: Date = new Date()): Promise<string[]> {
    const admin = await this.#connect();
    const old = topicsOlderThan(await admin.listTopics(), { ...this.#naming, retentionDays, now });
    if (old.length === 0) return [];
    try {
      await admin.deleteTopics({ topics: old, timeout: this.#timeoutMs });
    } catch (error) {
      const e = error as { type?: string; errors?: Array<{ type?: string }> };
      const gone = (x: { type?: string }) => x.type === 'UNKNOWN_TOPIC_OR_PARTITION';
      if (!(gone(e) || (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(gone)))) throw error;
    }
    return old;
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = null;
    this.#connected = null;
    await admin?.disconnect().catch(() => undefined);
  }

  #connect(): Promise<Admin> {
    if (!this.#connected) {
      const admin = (this.#admin ??= this.#kafka.admin());
      this.#connected = admin.connect().then(
        () => admin,
        (error: unknown) => {
          this.#connected = null;
          throw error;
        },
      );
    }
    return this.#connected;
  }
}

export const createDatedTopicAdmin = (options: DatedTopicAdminOptions): DatedTopicAdmin => new DatedTopicAdmin(options);
