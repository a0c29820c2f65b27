import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Type } from 'typebox';
import { createServiceApp, type ServiceApp } from '../../src/http/app-factory.ts';
import { responses, success } from '../../src/contracts/envelope.ts';
import { conflict } from '../../src/http/errors.ts';
import { Id } from '../../src/contracts/api.ts';

const config = { LOG_LEVEL: 'silent', DAILYFEED_CORS_ORIGINS: 'http://front.example' };

describe('the service app factory', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await createServiceApp({ name: 'test-svc', config, logger: false, bodyLimit: 1024 });
    app.post(
      '/api/things',
      {
        schema: {
          body: Type.Object({ content: Type.String({ minLength: 1 }), count: Type.Optional(Type.Integer()) }),
          response: responses(201, Type.Object({ content: Type.String(), count: Type.Integer(), keys: Type.Array(Type.String()) })),
        },
      },
      async (request, reply) => {
        reply.code(201);
        return success(201, { content: request.body.content, count: request.body.count ?? 0, keys: Object.keys(request.body) });
      },
    );
    app.get('/api/things/:thingId', { schema: { params: Type.Object({ thingId: Id }), querystring: Type.Object({ size: Type.Optional(Type.Integer({ minimum: 1 })) }) } }, async (request) =>
      success(200, { id: request.params.thingId, size: request.query.size ?? null }),
    );
    app.get('/api/conflict', async () => {
      throw conflict('THING_ALREADY_EXISTS', 'thing exists');
    });
    app.get('/api/boom', async () => {
      throw new Error('database password is hunter2');
    });
    app.health.markStarted();
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers malformed JSON with 400 MALFORMED_JSON in the envelope', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/things', headers: { 'content-type': 'application/json' }, payload: '{"content":' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, result: 'FAIL', code: 'MALFORMED_JSON', path: '/api/things' });
    expect(res.json().requestId).toBeTruthy();
  });

  it('does not coerce JSON bodies: a number where a string is expected is a 400 with details', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/things', payload: { content: 123 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().details[0].field).toBe('content');
  });

  it('coerces query strings and params, and ignores unknown body fields', async () => {
    const ok = await app.inject({ method: 'POST', url: '/api/things', payload: { content: 'hi', extra: 'dropped' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ status: 201, result: 'SUCCESS', data: { content: 'hi', count: 0, keys: ['content'] } });
    const get = await app.inject({ method: 'GET', url: '/api/things/42?size=5' });
    expect(get.json().data).toEqual({ id: '42', size: 5 });
  });

  it('rejects bad ids, negative sizes and oversized bodies with 4xx, never 5xx', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/things/abc' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/things/1?size=-1' })).statusCode).toBe(400);
    const big = await app.inject({ method: 'POST', url: '/api/things', payload: { content: 'x'.repeat(5000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('maps coded errors and unknown routes to the envelope, and hides internal error text', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/conflict' })).json()).toMatchObject({ status: 409, code: 'THING_ALREADY_EXISTS' });
    const missing = await app.inject({ method: 'GET', url: '/api/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('ROUTE_NOT_FOUND');
    const boom = await app.inject({ method: 'GET', url: '/api/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('hunter2');
  });

  it('keeps the caller\'s request id and answers it back', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/conflict', headers: { 'x-request-id': 'req-123' } });
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.json().requestId).toBe('req-123');
  });

  it('answers CORS preflights for configured origins and exposes the auth headers', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/api/things',
      headers: { origin: 'http://front.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('http://front.example');
    const get = await app.inject({ method: 'GET', url: '/api/things/1', headers: { origin: 'http://front.example' } });
    const exposed = String(get.headers['access-control-expose-headers']).toLowerCase();
    for (const header of ['authorization', 'x-token-refresh-needed', 'x-relogin-required']) expect(exposed).toContain(header);
    const other = await app.inject({ method: 'GET', url: '/api/things/1', headers: { origin: 'http://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves health, metrics and the OpenAPI document built from the route schemas', async () => {
    expect((await app.inject('/healthcheck/live')).statusCode).toBe(200);
    expect((await app.inject('/healthcheck/startup')).statusCode).toBe(200);
    expect((await app.inject('/healthcheck/ready')).statusCode).toBe(200);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain('http_request_duration_seconds');
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/things');
  });

  it('fails readiness when a dependency check fails', async () => {
    const other = await createServiceApp({ name: 'dep-svc', config, logger: false });
    other.health.addReadinessCheck('database', async () => {
      throw new Error('connection refused');
    });
    other.health.markStarted();
    const res = await other.inject('/healthcheck/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.database).toContain('connection refused');
    const startup = await createServiceApp({ name: 'slow-svc', config, logger: false });
    expect((await startup.inject('/healthcheck/startup')).statusCode).toBe(503);
    await other.close();
    await startup.close();
  });
});

describe('input the database cannot store', () => {
  it('refuses NUL characters in bodies, queries and params with 400, and malformed URLs in the envelope', async () => {
    const app = await createServiceApp({ name: 'nul-svc', config, logger: false });
    app.post('/api/echo/:word', { schema: { body: Type.Object({ text: Type.String() }) } }, async (request) => success(200, request.body));
    await app.ready();
    const body = await app.inject({ method: 'POST', url: '/api/echo/x', payload: { text: 'a\u0000b' } });
    expect(body.statusCode).toBe(400);
    expect(body.json().code).toBe('VALIDATION_FAILED');
    expect((await app.inject({ method: 'POST', url: '/api/echo/x?q=%00', payload: { text: 'ok' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/echo/a%00b', payload: { text: 'ok' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/echo/x', payload: { text: 'fine' } })).statusCode).toBe(200);
    const bad = await app.inject({ method: 'GET', url: '/api/echo/%zz' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ status: 400, result: 'FAIL', code: 'VALIDATION_FAILED' });
    await app.close();
  });
});
