/**
 * Test support: which real servers the suite can reach. A suite that needs an absent
 * server is skipped with the reason printed (never counted as passed):
 *   const missing = await missingServers(['postgres', 'kafka']);
 *   describe.skipIf(missing)('...', ...)   // and `if (missing) console.warn(missing)`
 */
import net from 'node:net';

export type ServerName = 'postgres' | 'redis' | 'kafka' | 'minio';

const ENV_OF: Record<ServerName, string> = {
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
  kafka: 'KAFKA_BROKERS',
  minio: 'S3_ENDPOINT',
};

function hostPortOf(name: ServerName, value: string): { host: string; port: number } {
  if (name === 'kafka') {
    const [host = '127.0.0.1', port = '9092'] = (value.split(',')[0] ?? '').split(':');
    return { host, port: Number(port) };
  }
  const url = new URL(value);
  const defaults: Record<ServerName, number> = { postgres: 5432, redis: 6379, kafka: 9092, minio: 9000 };
  return { host: url.hostname, port: Number(url.port || defaults[name]) };
}

const reachable = ({ host, port }: { host: string; port: number }, timeoutMs = 1500) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

/** null when every server is reachable, else a sentence naming what is missing. */
export async function missingServers(names: ServerName[], env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const problems: string[] = [];
  for (const name of names) {
    const value = env[ENV_OF[name]];
    if (!value) {
      problems.push(`${name}: ${ENV_OF[name]} is not set`);
      continue;
    }
    if (!(await reachable(hostPortOf(name, value)))) problems.push(`${name}: nothing answers at ${ENV_OF[name]}`);
  }
  if (problems.length === 0) return null;
  const reason = `SKIPPED (needs real servers; run the README's test command): ${problems.join('; ')}`;
  console.warn(reason);
  return reason;
}

/** A unique suffix per test run, for topic prefixes, consumer groups, handles and emails. */
export const runId = (): string => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
