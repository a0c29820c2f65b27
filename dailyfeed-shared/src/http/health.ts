/**
 * /healthcheck/live: the process answers. /healthcheck/ready: every dependency
 * check passes (and the service is not shutting down). /healthcheck/startup: the
 * service finished its start-up steps (migrations checked, keys loaded, topics ensured).
 */
import type { FastifyInstance } from 'fastify';

export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 2_000;

export class HealthState {
  private readonly checks = new Map<string, ReadinessCheck>();
  private started = false;
  private shuttingDown = false;

  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }
  markStarted(): void {
    this.started = true;
  }
  markShuttingDown(): void {
    this.shuttingDown = true;
  }
  get isStarted(): boolean {
    return this.started;
  }

  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, 'up'] as const;
        } catch (error) {
          return [name, `down: ${(error as Error).message}`] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = this.started && !this.shuttingDown && entries.every(([, state]) => state === 'up');
    return { ready, checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function registerHealthRoutes(app: FastifyInstance): void {
  const hide = { schema: { hide: true } };
  app.get('/healthcheck/live', hide, async () => ({ status: 'UP' }));
  app.get('/healthcheck/startup', hide, async (_request, reply) =>
    app.health.isStarted ? { status: 'UP' } : reply.code(503).send({ status: 'STARTING' }),
  );
  app.get('/healthcheck/ready', hide, async (_request, reply) => {
    const { ready, checks } = await app.health.readiness();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'UP' : 'DOWN', checks });
  });
}
