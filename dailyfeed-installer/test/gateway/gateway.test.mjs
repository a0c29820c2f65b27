// The local gateway routes every api.md §1 prefix to its service, from the route table the
// Istio manifests are generated from, and never routes /internal (also not via dot segments).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway, loadRouteTable } from '../../local/gateway/gateway.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const table = JSON.parse(readFileSync(path.join(here, '..', '..', 'routes.json'), 'utf8'));

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

describe('local gateway', () => {
  const upstreams = [];
  let gateway;
  let base;
  const seen = [];

  beforeAll(async () => {
    const env = {};
    for (const service of Object.keys(table.services)) {
      const server = http.createServer((req, res) => {
        seen.push({ service, url: req.url, requestId: req.headers['x-request-id'] });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ service, url: req.url }));
      });
      env[`DAILYFEED_${service.toUpperCase()}_PORT`] = String(await listen(server));
      upstreams.push(server);
    }
    gateway = createGateway({ routes: loadRouteTable(undefined, env) });
    base = `http://127.0.0.1:${await listen(gateway)}`;
  });
  afterAll(() => {
    gateway?.close();
    for (const server of upstreams) server.close();
  });

  const call = async (pathname, init) => {
    const res = await fetch(base + pathname, init);
    return { status: res.status, body: await res.json() };
  };

  it('routes every prefix of the table to its service', async () => {
    for (const [service, spec] of Object.entries(table.services)) {
      for (const prefix of spec.prefixes) {
        const res = await call(`${prefix}${prefix.endsWith('.json') ? '' : '/x'}?a=1`);
        expect(res.status, prefix).toBe(200);
        expect(res.body.service, prefix).toBe(service);
        expect(res.body.url).toBe(`${prefix}${prefix.endsWith('.json') ? '' : '/x'}?a=1`);
      }
    }
  });

  it('never routes /internal, also not through dot segments', async () => {
    for (const trick of ['/internal/auth/resolve', '/api/posts/../../internal/x', '/api/posts/%2e%2e/%2e%2e/internal/x', '/api/posts/..%2f..%2finternal']) {
      const res = await call(trick);
      if (res.status === 200) expect(res.body.url.startsWith('/internal')).toBe(false);
      else expect(res.status).toBe(404);
    }
    expect(seen.some((entry) => entry.url.startsWith('/internal'))).toBe(false);
  });

  it('answers 404 in the envelope outside /api and /.well-known', async () => {
    for (const pathname of ['/', '/healthcheck/ready', '/metrics', '/docs/json']) {
      const res = await call(pathname);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ status: 404, result: 'FAIL', code: 'ROUTE_NOT_FOUND' });
    }
  });

  it('adds a request id when the client sends none', async () => {
    await call('/api/posts/1');
    expect(seen.at(-1).requestId).toMatch(/[0-9a-f-]{36}/);
  });

  it('answers 503 when the service is down', async () => {
    const down = createGateway({ routes: [{ prefix: '/api/posts', service: 'content', port: 1 }] });
    const port = await listen(down);
    const res = await fetch(`http://127.0.0.1:${port}/api/posts/1`);
    expect(res.status).toBe(503);
    expect((await res.json()).code).toBe('SERVICE_UNAVAILABLE');
    down.close();
  });
});
