/**
 * A real HTTP server that answers member-svc's `GET /internal/auth/resolve` contract
 * (api.md §1) for tests of the other services, which must not need a running member-svc.
 * It is a test double of another service, not of infrastructure: the services still
 * talk to it over HTTP through the shared resilient client. The end-to-end suite in
 * the installer uses the real member-svc.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Summary } from '../src/contracts/api.ts';

export interface FakeMemberService {
  url: string;
  /** A bearer token that resolves to this member (an unsigned JWT-shaped token with jti and exp). */
  tokenFor(member: Partial<Summary> & { id: string }, options?: { refreshNeeded?: boolean; ttlSeconds?: number }): string;
  revoke(token: string): void;
  /** How many resolve calls reached the server. */
  calls(): number;
  /** Make every call fail with this status (e.g. 503), or stop failing with null. */
  failWith(status: number | null): void;
  /** Internal routes other services call (summaries, followings); add handlers per test. */
  route(method: string, path: string, handler: (url: URL, body: unknown) => { status: number; data?: unknown }): void;
  close(): Promise<void>;
}

interface Entry { member: Summary; refreshNeeded: boolean; exp: number; jti: string }

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startFakeMemberService(): Promise<FakeMemberService> {
  const tokens = new Map<string, Entry>();
  const routes = new Map<string, (url: URL, body: unknown) => { status: number; data?: unknown }>();
  let calls = 0;
  let failure: number | null = null;

  const send = (res: http.ServerResponse, status: number, payload: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };
  const fail = (res: http.ServerResponse, status: number, code: string, path: string) =>
    send(res, status, { status, result: 'FAIL', code, message: code.toLowerCase(), path, requestId: randomUUID() });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (failure) return fail(res, failure, 'FAKE_FAILURE', url.pathname);
      if (url.pathname === '/internal/auth/resolve') {
        calls += 1;
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        const entry = tokens.get(token);
        if (!entry) return fail(res, 401, 'INVALID_TOKEN', url.pathname);
        if (entry.exp * 1000 < Date.now()) return fail(res, 401, 'TOKEN_EXPIRED', url.pathname);
        return send(res, 200, {
          status: 200,
          result: 'SUCCESS',
          data: { member: entry.member, tokenId: entry.jti, expiresAt: new Date(entry.exp * 1000).toISOString(), refreshNeeded: entry.refreshNeeded },
        });
      }
      const handler = routes.get(`${req.method} ${url.pathname}`);
      if (!handler) return fail(res, 404, 'ROUTE_NOT_FOUND', url.pathname);
      const raw = Buffer.concat(chunks).toString('utf8');
      const result = handler(url, raw ? JSON.parse(raw) : undefined);
      if (result.status === 204) {
        res.writeHead(204);
        return res.end();
      }
      return result.status < 400
        ? send(res, result.status, { status: result.status, result: 'SUCCESS', data: result.data })
        : fail(res, result.status, String(result.data ?? 'FAKE_ERROR'), url.pathname);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    tokenFor(member, options = {}) {
      const jti = randomUUID();
      const exp = Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 3600);
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: member.id, jti, exp })}.fake`;
      tokens.set(token, {
        jti,
        exp,
        refreshNeeded: options.refreshNeeded ?? false,
        member: {
          id: member.id,
          handle: member.handle ?? `member${member.id}`,
          displayName: member.displayName ?? `Member ${member.id}`,
          avatarUrl: member.avatarUrl ?? null,
          verified: member.verified ?? false,
        },
      });
      return token;
    },
    revoke: (token) => void tokens.delete(token),
    calls: () => calls,
    failWith: (status) => void (failure = status),
    route: (method, path, handler) => void routes.set(`${method} ${path}`, handler),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
