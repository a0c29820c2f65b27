import { afterEach, describe, expect, it } from 'vitest';
import { createServiceClient, type BreakerState, type ServiceClient } from '../../src/clients/service-client.ts';
import { ServiceUnavailableError, UpstreamRejectedError } from '../../src/clients/errors.ts';
import { CLIENT_PROFILES, resolveProfile } from '../../src/clients/profiles.ts';
import { runWithRequestContext } from '../../src/http/request-context.ts';
import { deadUrl, fail, ok, sendJson, sleep, startServer, type TestServer } from './helpers.ts';

const servers: TestServer[] = [];
const clients: ServiceClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const serve = async (...args: Parameters<typeof startServer>) => {
  const server = await startServer(...args);
  servers.push(server);
  return server;
};
const client = (options: Parameters<typeof createServiceClient>[0]) => {
  const c = createServiceClient(options);
  clients.push(c);
  return c;
};
const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (e: unknown) => e);

describe('profiles', () => {
  it('are the operations.md §4 numbers', () => {
    expect(CLIENT_PROFILES.critical).toEqual({
      breaker: { failureRate: 0.4, window: 50, minimumCalls: 5, halfOpenAfterMs: 30_000 },
      callTimeoutMs: 3_000,
      retry: { attempts: 2, backoffMs: 300 },
      rateLimit: { perSecond: 200, maxWaitMs: 100 },
    });
    expect(CLIENT_PROFILES.default.breaker).toEqual({ failureRate: 0.5, window: 100, minimumCalls: 10, halfOpenAfterMs: 60_000 });
    expect(CLIENT_PROFILES.default.callTimeoutMs).toBe(5_000);
    expect(CLIENT_PROFILES.default.retry).toEqual({ attempts: 3, backoffMs: 500 });
    expect(CLIENT_PROFILES.default.rateLimit.perSecond).toBe(100);
    expect(CLIENT_PROFILES.bulk.breaker).toEqual({ failureRate: 0.6, window: 200, minimumCalls: 20, halfOpenAfterMs: 120_000 });
    expect(CLIENT_PROFILES.bulk.callTimeoutMs).toBe(10_000);
    expect(CLIENT_PROFILES.bulk.retry).toEqual({ attempts: 2, backoffMs: 1_000 });
    expect(CLIENT_PROFILES.bulk.rateLimit.perSecond).toBe(50);
  });
  it('rejects nonsense overrides with a clear message', () => {
    expect(() => resolveProfile('critical', { retry: { attempts: 0 } })).toThrow(/retry.attempts/);
  });
});

describe('service client: answers', () => {
  it('returns the data of the success envelope, sends JSON, query and propagation headers', async () => {
    const server = await serve((req, res, body) => ok(res, { echo: JSON.parse(body || 'null'), url: req.url }));
    const c = client({ serviceName: 'content', baseUrl: server.url, profile: 'default' });
    const data = await runWithRequestContext(
      { requestId: 'req-123', traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01' },
      () => c.post<{ echo: unknown; url: string }>('/internal/posts', { body: { a: 1 }, query: { ids: ['1', '2'], size: 5, skip: undefined } }),
    );
    expect(data).toEqual({ echo: { a: 1 }, url: '/internal/posts?ids=1&ids=2&size=5' });
    const hit = server.hits[0]!;
    expect(hit.headers['x-request-id']).toBe('req-123');
    expect(hit.headers.traceparent).toMatch(/^00-0123456789abcdef0123456789abcdef-[0-9a-f]{16}-01$/);
    expect(hit.headers['content-type']).toBe('application/json');
  });

  it('request() answers status and headers; 204 has no data', async () => {
    const server = await serve((req, res) => {
      if (req.method === 'DELETE') {
        res.writeHead(204).end();
        return;
      }
      sendJson(res, 201, { status: 201, result: 'SUCCESS', data: { id: '7' } }, { 'x-token-refresh-needed': 'true' });
    });
    const c = client({ serviceName: 'content', baseUrl: server.url, profile: 'default' });
    const created = await c.request<{ id: string }>('POST', '/x');
    expect(created.status).toBe(201);
    expect(created.data).toEqual({ id: '7' });
    expect(created.headers.get('x-token-refresh-needed')).toBe('true');
    expect(await c.delete('/x/7')).toBeUndefined();
  });

  it('a 4xx is an UpstreamRejectedError with the upstream status, code and message, never retried', async () => {
    const server = await serve((req, res) => (req.url === '/conflict' ? fail(res, 409, 'HANDLE_ALREADY_EXISTS', 'taken') : fail(res, 400, 'VALIDATION_FAILED')));
    const c = client({ serviceName: 'member', baseUrl: server.url, profile: 'critical', overrides: { retry: { backoffMs: 1 } } });
    const conflict = await caught(c.get('/conflict'));
    expect(conflict).toBeInstanceOf(UpstreamRejectedError);
    expect(conflict).toMatchObject({ status: 409, upstreamStatus: 409, code: 'HANDLE_ALREADY_EXISTS', message: 'taken', service: 'member' });
    const bad = await caught(c.get('/bad'));
    expect(bad).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(server.hits).toHaveLength(2);
    expect(c.breakerState).toBe('closed');
  });

  it('a 2xx that is not an envelope is unavailable (bad-response)', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { hello: 'world' }));
    const c = client({ serviceName: 'image', baseUrl: server.url, profile: 'bulk' });
    expect(await caught(c.get('/x'))).toMatchObject({ status: 503, code: 'IMAGE_SERVICE_UNAVAILABLE', reason: 'bad-response' });
    expect(server.hits).toHaveLength(1);
  });
});

describe('service client: retry', () => {
  it('retries a GET on 503 up to the profile attempts, then 503 <SERVICE>_SERVICE_UNAVAILABLE', async () => {
    const server = await serve((_req, res) => fail(res, 503, 'DOWN'));
    const c = client({ serviceName: 'content', baseUrl: server.url, profile: 'default', overrides: { retry: { backoffMs: 5 } } });
    const error = await caught(c.get('/x'));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'CONTENT_SERVICE_UNAVAILABLE', reason: 'upstream-5xx', upstreamStatus: 503 });
    expect(server.hits).toHaveLength(3); // default: 3 attempts
  });

  it('succeeds when a retry succeeds, waiting the backoff', async () => {
    const server = await serve((_req, res, _body, n) => (n === 1 ? fail(res, 502, 'BAD_GATEWAY') : ok(res, 'fine')));
    const c = client({ serviceName: 'member', baseUrl: server.url, profile: 'critical', overrides: { retry: { backoffMs: 80 } } });
    const started = performance.now();
    expect(await c.get('/x')).toBe('fine');
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect(server.hits).toHaveLength(2);
  });

  it('never retries a POST, retries it when marked idempotent, and PUT/DELETE', async () => {
    const server = await serve((_req, res) => fail(res, 503, 'DOWN'));
    const c = client({ serviceName: 'content', baseUrl: server.url, profile: 'default', overrides: { retry: { backoffMs: 1 } } });
    await caught(c.post('/x', { body: {} }));
    expect(server.hits).toHaveLength(1);
    await caught(c.post('/x', { body: {}, idempotent: true }));
    expect(server.hits).toHaveLength(4);
    await caught(c.put('/x', { body: {} }));
    expect(server.hits).toHaveLength(7);
    await caught(c.delete('/x'));
    expect(server.hits).toHaveLength(10);
  });

  it('a network error is unavailable (network) after retries', async () => {
    const c = client({ serviceName: 'activity', baseUrl: await deadUrl(), profile: 'default', overrides: { retry: { backoffMs: 1 } } });
    expect(await caught(c.get('/x'))).toMatchObject({ status: 503, code: 'ACTIVITY_SERVICE_UNAVAILABLE', reason: 'network' });
  });
});

describe('service client: timeout', () => {
  it('a slow call fails at the call timeout, is retried, and counts as a breaker failure', async () => {
    const server = await serve(async (_req, res) => {
      await sleep(1_000);
      if (!res.destroyed) ok(res, 'late');
    });
    const c = client({
      serviceName: 'timeline',
      baseUrl: server.url,
      profile: 'critical',
      overrides: { callTimeoutMs: 100, retry: { backoffMs: 10 }, breaker: { minimumCalls: 1, halfOpenAfterMs: 60_000 } },
    });
    const started = performance.now();
    const error = await caught(c.get('/slow'));
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ status: 503, code: 'TIMELINE_SERVICE_UNAVAILABLE', reason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(200); // 2 attempts x 100 ms
    expect(elapsed).toBeLessThan(800);
    expect(server.hits).toHaveLength(2);
    expect(c.breakerState).toBe('open'); // 1 of 1 failed, min 1
  });
});

describe('service client: circuit breaker', () => {
  it('opens at 40% of the calls (min 5) for critical, fails fast, half-opens and recovers', async () => {
    let healthy = true;
    const server = await serve((_req, res) => (healthy ? ok(res, 'up') : fail(res, 500, 'BROKEN')));
    const states: Array<[BreakerState, BreakerState]> = [];
    const c = client({
      serviceName: 'member',
      baseUrl: server.url,
      profile: 'critical',
      overrides: { breaker: { halfOpenAfterMs: 300 }, retry: { backoffMs: 1 } },
      onStateChange: (state, previous) => states.push([state, previous]),
    });
    // 3 successes, then failures: 1/4 failed (below the minimum of 5 calls), then 2/5 = 40% opens.
    for (let i = 0; i < 3; i++) await c.get('/x');
    healthy = false;
    await caught(c.get('/x'));
    expect(c.breakerState).toBe('closed');
    await caught(c.get('/x'));
    expect(c.breakerState).toBe('open');
    const hitsWhenOpened = server.hits.length;
    expect(hitsWhenOpened).toBe(3 + 2 * 2); // each failed GET made 2 attempts

    const started = performance.now();
    const fast = await caught(c.get('/x'));
    const elapsed = performance.now() - started;
    expect(fast).toBeInstanceOf(ServiceUnavailableError);
    expect(fast).toMatchObject({ status: 503, code: 'MEMBER_SERVICE_UNAVAILABLE', reason: 'circuit-open' });
    expect(elapsed).toBeLessThan(20);
    expect(server.hits.length).toBe(hitsWhenOpened);

    // half-open: a failing test call opens it again
    await sleep(350);
    await caught(c.get('/x'));
    expect(c.breakerState).toBe('open');
    // half-open again: a successful test call closes it
    healthy = true;
    await sleep(350);
    expect(await c.get('/x')).toBe('up');
    expect(c.breakerState).toBe('closed');
    expect(states.map(([s]) => s)).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('4xx answers do not open the breaker', async () => {
    const server = await serve((_req, res) => fail(res, 404, 'POST_NOT_FOUND'));
    const c = client({ serviceName: 'content', baseUrl: server.url, profile: 'default', overrides: { breaker: { minimumCalls: 2 } } });
    for (let i = 0; i < 5; i++) await caught(c.get('/x'));
    expect(c.breakerState).toBe('closed');
    expect(server.hits).toHaveLength(5);
  });
});

describe('service client: rate limit', () => {
  it('a call beyond the rate with no wait allowed fails at once as unavailable, without a request', async () => {
    const server = await serve((_req, res) => ok(res, 'ok'));
    const c = client({ serviceName: 'search', baseUrl: server.url, profile: 'default', overrides: { rateLimit: { perSecond: 5, maxWaitMs: 0 } } });
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.get('/x')));
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as unknown);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(rejected).toHaveLength(5);
    for (const error of rejected) expect(error).toMatchObject({ status: 503, code: 'SEARCH_SERVICE_UNAVAILABLE', reason: 'rate-limited' });
    expect(server.hits).toHaveLength(5);
    expect(performance.now() - started).toBeLessThan(200);
    expect(c.breakerState).toBe('closed');
  });

  it('waits up to maxWaitMs for a permit, fails the calls that would wait longer', async () => {
    const server = await serve((_req, res) => ok(res, 'ok'));
    // 10/s: 10 at once, then one permit per 100 ms; 200 ms of waiting admits about 2 more.
    const c = client({ serviceName: 'search', baseUrl: server.url, profile: 'default', overrides: { rateLimit: { perSecond: 10, maxWaitMs: 200 } } });
    const started = performance.now();
    const settled = await Promise.all(
      Array.from({ length: 20 }, () =>
        c.get('/x').then(
          () => ({ ok: true, ms: performance.now() - started }),
          (error: unknown) => ({ ok: false, ms: performance.now() - started, error }),
        ),
      ),
    );
    const good = settled.filter((s) => s.ok);
    const bad = settled.filter((s) => !s.ok);
    expect(good.length).toBeGreaterThanOrEqual(11);
    expect(good.length).toBeLessThanOrEqual(13);
    expect(good.some((s) => s.ms >= 80)).toBe(true); // at least one waited for a refill
    for (const s of bad) {
      expect((s as { error: unknown }).error).toMatchObject({ reason: 'rate-limited' });
      expect(s.ms).toBeLessThan(400); // never longer than the max wait (+ refill granularity)
    }
  });
});
