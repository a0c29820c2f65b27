/**
 * Benchmark (prints ratios, asserts nothing): token resolution against an unauthenticated route
 * of the same service in the same run, and logins/s with the configured argon2id parameters.
 *
 *   eval "$(bash ../dailyfeed-installer/local/infra.sh env dailyfeed_test)"
 *   DATABASE_URL=$DATABASE_URL_MEMBER npx tsx bench/resolve.ts --size small|full
 *
 * The service runs in this process on a real HTTP port (loopback); autocannon drives it from a
 * worker-less client in the same process, so absolute numbers are pessimistic on 2 cores:
 * read the ratios. autocannon's percentiles have 1 ms resolution, so the mean is shown too. JWT_KEK: from the environment, else the fixed test KEK of the test suites.
 */
import { createHash } from 'node:crypto';
import autocannon from 'autocannon';
import { buildApp } from '../src/app.ts';
import { loadMemberConfig } from '../src/config.ts';

const size = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'small';
if (size !== 'small' && size !== 'full') {
  console.error('usage: tsx bench/resolve.ts --size small|full');
  process.exit(2);
}
const seconds = size === 'full' ? 15 : 3;
const connections = size === 'full' ? 50 : 10;

const config = loadMemberConfig({
  ...process.env,
  JWT_KEK: process.env.JWT_KEK ?? createHash('sha256').update('dailyfeed-member-svc test KEK').digest('base64'),
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:59092',
  MEMBER_JOBS_ENABLED: 'false',
  MEMBER_OUTBOX_RELAY_ENABLED: 'false',
  LOG_LEVEL: 'silent',
  DAILYFEED_LOCAL_MODE: 'true',
});
const app = await buildApp(config, { logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const email = `bench_${tag}@example.com`;
const password = 'Bench0rd!';
await fetch(`${base}/api/authentication/signup`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password, memberName: 'Bench', handle: `bench_${tag}` }),
});
const login = await (await fetch(`${base}/api/authentication/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password }),
})).json() as { data: { accessToken: string } };
const token = login.data.accessToken;

interface Row { name: string; rps: number; p50: number; p99: number; mean: number; errors: number }

async function run(name: string, options: Partial<autocannon.Options> & { path: string }, conn = connections): Promise<Row> {
  const { path, ...rest } = options;
  const result = await autocannon({ url: `${base}${path}`, duration: seconds, connections: conn, ...rest } as autocannon.Options);
  const bad = result.non2xx + result.errors + result.timeouts;
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean, errors: bad };
}

// warm-up (JIT, pools, caches)
await autocannon({ url: `${base}/internal/auth/resolve`, duration: 1, connections, headers: { authorization: `Bearer ${token}` } });

const baseline = await run('GET /healthcheck/live (unauthenticated baseline)', { path: '/healthcheck/live' });
const jwks = await run('GET /.well-known/jwks.json (unauthenticated)', { path: '/.well-known/jwks.json' });
const resolve = await run('GET /internal/auth/resolve (Bearer)', { path: '/internal/auth/resolve', headers: { authorization: `Bearer ${token}` } });
const me = await run('GET /api/members/me (Bearer, member-svc route)', { path: '/api/members/me', headers: { authorization: `Bearer ${token}` } });
const logins = await run(
  `POST /api/authentication/login (argon2id m=${config.ARGON2_MEMORY_KIB}KiB t=${config.ARGON2_TIME_COST} p=${config.ARGON2_PARALLELISM})`,
  { path: '/api/authentication/login', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) },
  Math.min(connections, 8),
);

const rows = [baseline, jwks, resolve, me, logins];
const pad = (s: string, n: number) => s.padEnd(n);
console.log(`\nmember-svc benchmark (--size ${size}: ${seconds}s per route, ${connections} connections; logins ${Math.min(connections, 8)})\n`);
console.log(`${pad('route', 72)} ${pad('req/s', 9)} ${pad('p50 ms', 7)} ${pad('mean ms', 8)} ${pad('p99 ms', 7)} ${pad('req/s vs baseline', 18)} ${pad('mean vs baseline', 16)} non-2xx/errors`);
for (const row of rows) {
  console.log(
    `${pad(row.name, 72)} ${pad(row.rps.toFixed(0), 9)} ${pad(String(row.p50), 7)} ${pad(row.mean.toFixed(2), 8)} ${pad(String(row.p99), 7)} ` +
    `${pad((row.rps / baseline.rps).toFixed(3), 18)} ${pad((row.mean / baseline.mean).toFixed(2), 16)} ${row.errors}`,
  );
}
console.log(`\nresolve / baseline: ${(resolve.rps / baseline.rps).toFixed(3)} of the requests/s; p50 ${resolve.p50} ms vs ${baseline.p50} ms; mean ${resolve.mean.toFixed(2)} ms vs ${baseline.mean.toFixed(2)} ms`);
console.log(`logins/s: ${logins.rps.toFixed(1)} (one login = one argon2id verify + one ES256 signature + 2 inserts)`);

await app.close();
