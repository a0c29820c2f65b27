/**
 * A real HTTP server impersonating member-svc's GET /internal/auth/resolve: tokens it knows
 * resolve to a member; revoked ones answer 401 TOKEN_REVOKED; others 401 INVALID_TOKEN.
 */
import { fail, ok, sleep, startServer, token, type TestServer } from './helpers.ts';

export interface FakeMember {
  server: TestServer;
  calls(): number;
  /** Issues a token for a member; `jti`/`exp` may be left out to test "never cached". */
  issue(options: { memberId: string; jti?: string; expInSeconds?: number; refreshNeeded?: boolean; omitExp?: boolean }): string;
  revoke(token: string): void;
  delayMs: number;
}

export async function startFakeMember(): Promise<FakeMember> {
  const known = new Map<string, { memberId: string; jti: string; exp: number; refreshNeeded: boolean }>();
  const revoked = new Set<string>();
  const fake: FakeMember = {
    delayMs: 0,
    server: await startServer(async (req, res) => {
      if (req.url !== '/internal/auth/resolve' || req.method !== 'GET') return fail(res, 404, 'ROUTE_NOT_FOUND');
      if (fake.delayMs) await sleep(fake.delayMs);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const entry = bearer ? known.get(bearer) : undefined;
      if (!bearer || !entry) return fail(res, 401, 'INVALID_TOKEN', 'access token is invalid');
      if (revoked.has(bearer)) return fail(res, 401, 'TOKEN_REVOKED', 'access token was revoked');
      return ok(res, {
        member: { id: entry.memberId, handle: `h${entry.memberId}`, displayName: `Member ${entry.memberId}`, avatarUrl: null, verified: false },
        tokenId: entry.jti,
        expiresAt: new Date(entry.exp * 1000).toISOString(),
        refreshNeeded: entry.refreshNeeded,
      });
    }),
    calls: () => fake.server.hits.length,
    issue({ memberId, jti = crypto.randomUUID(), expInSeconds = 900, refreshNeeded = false, omitExp = false }) {
      const exp = Math.floor(Date.now() / 1000) + expInSeconds;
      const payload: Record<string, unknown> = { sub: memberId, iat: exp - expInSeconds };
      if (jti) payload.jti = jti;
      if (!omitExp) payload.exp = exp;
      const t = token(payload, crypto.randomUUID());
      known.set(t, { memberId, jti, exp, refreshNeeded });
      return t;
    },
    revoke(t) {
      revoked.add(t);
    },
  };
  return fake;
}
