/**
 * The thin launcher: listen, then on SIGTERM/SIGINT fail readiness first (so the
 * mesh stops sending traffic), close the app (which closes its consumers, pools and
 * jobs through onClose hooks), and exit; a close that hangs is cut after the grace time.
 */
import type { FastifyInstance } from 'fastify';

export async function runService(app: FastifyInstance, options: { port: number; host: string; graceMs: number }): Promise<void> {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.health.markShuttingDown();
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out, exiting');
      process.exit(1);
    }, options.graceMs);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  app.server.keepAliveTimeout = 65_000;
  app.server.headersTimeout = 66_000;
  await app.listen({ port: options.port, host: options.host });
}
