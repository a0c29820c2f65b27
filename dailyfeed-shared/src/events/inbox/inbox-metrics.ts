/**
 * Prometheus gauges of a consumer (`/metrics`), read at scrape time:
 * - `dailyfeed_dead_letters{group, status}`: pending and parked listener dead letters;
 * - `dailyfeed_consumer_lag{group}`: records not yet committed by the group (listener.lag());
 * - `dailyfeed_inbox_dedup_failures{group}`: Redis errors of the dedup guard since start.
 * A source that fails or is slow (over `timeoutMs`) keeps the gauge's last value, so a scrape
 * never hangs on a broken dependency.
 */
import { Gauge, type Registry } from 'prom-client';
import type { DedupGuard } from './dedup-guard.ts';
import type { PgDeadLetterStore } from './dead-letter-store.ts';

export interface InboxMetricsOptions {
  registry: Registry;
  group: string;
  store?: PgDeadLetterStore;
  lag?: () => Promise<number>;
  guard?: DedupGuard;
  /** Per source and scrape, ms. Default 2000. */
  timeoutMs?: number;
}

function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

const metricOf = (registry: Registry, name: string) => registry.getSingleMetric(name) as Gauge<string> | undefined;

/** Registers (or joins, when another consumer of this registry did) the inbox gauges. */
export function registerInboxMetrics(options: InboxMetricsOptions): void {
  const { registry, group, store, lag, guard } = options;
  const timeoutMs = options.timeoutMs ?? 2_000;
  // One collect per gauge and group: several consumers (groups) may share a registry.
  const collectors = registryCollectors(registry);
  if (store) {
    collectors.deadLetters.set(group, async (gauge) => {
      const counts = await bounded(store.counts(group), timeoutMs);
      gauge.set({ group, status: 'pending' }, counts.pending);
      gauge.set({ group, status: 'parked' }, counts.parked);
    });
  }
  if (lag) collectors.lag.set(group, async (gauge) => gauge.set({ group }, await bounded(lag(), timeoutMs)));
  if (guard) collectors.dedup.set(group, async (gauge) => gauge.set({ group }, guard.failures));
}

type Collect = (gauge: Gauge<string>) => Promise<void>;
interface Collectors {
  deadLetters: Map<string, Collect>;
  lag: Map<string, Collect>;
  dedup: Map<string, Collect>;
}
const perRegistry = new WeakMap<Registry, Collectors>();

function gaugeWith(registry: Registry, name: string, help: string, labelNames: string[], collectors: Map<string, Collect>): void {
  if (metricOf(registry, name)) return;
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      await Promise.all([...collectors.values()].map((collect) => collect(this).catch(() => undefined)));
    },
  });
}

function registryCollectors(registry: Registry): Collectors {
  let collectors = perRegistry.get(registry);
  if (!collectors) {
    collectors = { deadLetters: new Map(), lag: new Map(), dedup: new Map() };
    perRegistry.set(registry, collectors);
    gaugeWith(registry, 'dailyfeed_dead_letters', 'Listener dead letters by consumer group and status (pending, parked)', ['group', 'status'], collectors.deadLetters);
    gaugeWith(registry, 'dailyfeed_consumer_lag', 'Records of the subscribed dated topics not yet committed by the consumer group', ['group'], collectors.lag);
    gaugeWith(registry, 'dailyfeed_inbox_dedup_failures', 'Redis errors or timeouts of the dedup guard since start (events passed through)', ['group'], collectors.dedup);
  }
  return collectors;
}
