/** member-svc's own Prometheus metrics, on the app's registry (GET /metrics). */
import { Counter, type Registry } from 'prom-client';

export interface MemberMetrics {
  resolves: Counter<'outcome'>;
  logins: Counter<'outcome'>;
  refreshes: Counter<'outcome'>;
}

export function registerMemberMetrics(registry: Registry): MemberMetrics {
  return {
    resolves: new Counter({ name: 'member_token_resolves_total', help: 'token resolutions by outcome (ok, refresh_needed, or the 401 code)', labelNames: ['outcome'], registers: [registry] }),
    logins: new Counter({ name: 'member_logins_total', help: 'logins by outcome (ok, INVALID_CREDENTIALS, TOO_MANY_REQUESTS)', labelNames: ['outcome'], registers: [registry] }),
    refreshes: new Counter({ name: 'member_token_refreshes_total', help: 'refresh-token uses by outcome', labelNames: ['outcome'], registers: [registry] }),
  };
}

/** Counts the outcome of `fn` (the AppError code when it throws) and passes the result on. */
export async function counted<T>(counter: Counter<'outcome'>, fn: () => Promise<T>, outcomeOf: (value: T) => string = () => 'ok'): Promise<T> {
  try {
    const value = await fn();
    counter.inc({ outcome: outcomeOf(value) });
    return value;
  } catch (error) {
    counter.inc({ outcome: (error as { code?: string }).code ?? 'error' });
    throw error;
  }
}
