/**
 * Breaker state of each service client as a Prometheus gauge, read at scrape time:
 * dailyfeed_client_breaker_state{target="member"} 0 closed, 1 open, 2 half-open.
 */
import { Gauge, type Registry } from 'prom-client';
import type { BreakerState, ServiceClient } from './service-client.ts';

const VALUE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

export function registerClientMetrics(registry: Registry, clients: readonly ServiceClient[]): Gauge<'target'> {
  return new Gauge({
    name: 'dailyfeed_client_breaker_state',
    help: 'Circuit breaker state of calls to another service: 0 closed, 1 open, 2 half-open',
    labelNames: ['target'] as const,
    registers: [registry],
    collect() {
      for (const client of clients) this.set({ target: client.serviceName }, VALUE[client.breakerState]);
    },
  });
}
