#!/usr/bin/env node
// The local gateway: routes exactly as the Istio ingress does, from the same route
// table (../../routes.json): plain prefix matches under /api and /.well-known, nothing
// else, and never /internal. Zero dependencies, so it starts anywhere Node runs.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const routesFile = process.env.DAILYFEED_ROUTES_FILE ?? path.join(here, '..', '..', 'routes.json');

/** [{prefix, service, port}] longest prefix first, as Envoy picks the first match of an ordered list. */
export function loadRouteTable(file = routesFile, env = process.env) {
  const table = JSON.parse(readFileSync(file, 'utf8'));
  const routes = [];
  for (const [service, spec] of Object.entries(table.services)) {
    const port = Number(env[`DAILYFEED_${service.toUpperCase()}_PORT`] ?? spec.port);
    for (const prefix of spec.prefixes) routes.push({ prefix, service, port });
  }
  return routes.sort((a, b) => b.prefix.length - a.prefix.length);
}

/** Resolves dot segments (also percent-encoded ones) so `/api/posts/../../internal` cannot slip past. */
export function normalizePath(rawUrl) {
  try {
    const url = new URL(rawUrl, 'http://gateway.local');
    return { pathname: url.pathname, search: url.search };
  } catch {
    return null;
  }
}

export function matchRoute(routes, pathname) {
  if (pathname.startsWith('/internal')) return null;
  return routes.find((route) => pathname.startsWith(route.prefix)) ?? null;
}

function fail(req, res, status, code, message) {
  const body = JSON.stringify({ status, result: 'FAIL', code, message, path: (req.url ?? '').split('?')[0], requestId: req.headers['x-request-id'] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createGateway({ routes = loadRouteTable(), upstreamHost = '127.0.0.1', timeoutMs = 30_000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return http.createServer((req, res) => {
    if (!req.headers['x-request-id']) req.headers['x-request-id'] = randomUUID();
    const normalized = normalizePath(req.url ?? '/');
    const route = normalized && matchRoute(routes, normalized.pathname);
    if (!route) return fail(req, res, 404, 'ROUTE_NOT_FOUND', 'no route for this path');
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = http.request(
      {
        host: upstreamHost,
        port: route.port,
        method: req.method,
        path: normalized.pathname + normalized.search,
        headers: { ...req.headers, 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'http', 'x-forwarded-host': req.headers.host ?? '' },
        agent,
        timeout: timeoutMs,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', () => {
      if (!res.headersSent) fail(req, res, 503, 'SERVICE_UNAVAILABLE', `${route.service}-svc is not reachable`);
      else res.destroy();
    });
    req.pipe(upstream);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.DAILYFEED_GATEWAY_PORT ?? 8080);
  const host = process.env.DAILYFEED_GATEWAY_HOST ?? '127.0.0.1';
  const server = createGateway();
  server.keepAliveTimeout = 65_000;
  server.listen(port, host, () => console.log(JSON.stringify({ msg: 'gateway listening', url: `http://${host}:${port}` })));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
