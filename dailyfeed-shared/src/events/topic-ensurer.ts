/**
 * Idempotent creation of dated topics through the kafkajs admin client. Used by the
 * publisher (today's and tomorrow's topics); a TOPIC_ALREADY_EXISTS from a racing
 * replica counts as success.
 */
import type { Admin, ITopicConfig } from 'kafkajs';

export interface TopicSpec {
  partitions: number;
  replicationFactor: number;
  /** Extra topic configs (e.g. `{ 'min.insync.replicas': '2' }`). */
  configEntries?: Record<string, string>;
  /** Broker-side timeout of the create request, ms. */
  timeoutMs: number;
}

const isAlreadyExists = (error: unknown): boolean => {
  const e = error as { type?: string; errors?: unknown[]; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(isAlreadyExists);
  return false;
};

/** Creates the topics of `names` that do not exist yet; returns the names it created. */
export async function createTopicsIfMissing(admin: Admin, names: readonly string[], spec: TopicSpec): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((name) => !existing.has(name));
  if (missing.length === 0) return [];
  const configEntries = Object.entries(spec.configEntries ?? {}).map(([name, value]) => ({ name, value }));
  const topics: ITopicConfig[] = missing.map((topic) => ({
    topic,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    ...(configEntries.length > 0 ? { configEntries } : {}),
  }));
  try {
    await admin.createTopics({ topics, waitForLeaders: true, timeout: spec.timeoutMs });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  return missing;
}
