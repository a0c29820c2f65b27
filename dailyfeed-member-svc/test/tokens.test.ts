/** Token attacks, refresh rotation (grace re-use, re-use detection), revocation surviving a Redis flush. */
import { SignJWT, generateKeyPair, decodeProtectedHeader, decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { ManualClock } from '../src/support/clock.ts';
import { bearer, login, member, resolve, testApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const refresh = (app: ServiceApp, refreshToken: string) => app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refreshToken } });

/** What a Redis flush does to member-svc: every key of ours gone (other suites share this Redis). */
async function flushMemberKeys(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'dailyfeed:member:*', 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

describe.skipIf(missing)('access token attacks', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const expectInvalid = async (token: string, code = 'INVALID_TOKEN') => {
    const res = await resolve(app, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe(code);
    expect(res.headers['x-relogin-required']).toBe('true');
  };

  it('a valid token resolves to the member with jti, expiry and no refresh flag', async () => {
    const m = await member(app);
    const res = await resolve(app, m.accessToken);
    expect(res.statusCode).toBe(200);
    const claims = decodeJwt(m.accessToken);
    expect(res.json().data).toEqual({
      member: { id: m.id, handle: m.handle, displayName: 'Test User', avatarUrl: null, verified: false },
      tokenId: claims.jti,
      expiresAt: new Date(claims.exp! * 1000).toISOString(),
      refreshNeeded: false,
    });
    expect(decodeProtectedHeader(m.accessToken)).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(claims).toMatchObject({ sub: m.id, jti: expect.any(String), iat: expect.any(Number), exp: expect.any(Number) });
  });

  it('alg: none is rejected', async () => {
    const m = await member(app);
    const header = decodeProtectedHeader(m.accessToken);
    await expectInvalid(`${b64({ alg: 'none', typ: 'JWT', kid: header.kid })}.${b64(decodeJwt(m.accessToken))}.`);
    await expectInvalid(`${b64({ alg: 'none', typ: 'JWT', kid: header.kid })}.${b64(decodeJwt(m.accessToken))}`);
  });

  it('HS256 signed with the public JWK as secret is rejected', async () => {
    const m = await member(app);
    const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const kid = decodeProtectedHeader(m.accessToken).kid;
    const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const forged = await new SignJWT(decodeJwt(m.accessToken)).setProtectedHeader({ alg: 'HS256', kid }).sign(secret);
    await expectInvalid(forged);
  });

  it('a tampered payload is rejected', async () => {
    const m = await member(app);
    const other = await member(app);
    const [h, , s] = m.accessToken.split('.');
    await expectInvalid(`${h}.${b64({ ...decodeJwt(m.accessToken), sub: other.id })}.${s}`);
  });

  it('a wrong or unknown kid is rejected (after one key reload)', async () => {
    const m = await member(app);
    const [, p, s] = m.accessToken.split('.');
    await expectInvalid(`${b64({ alg: 'ES256', typ: 'JWT', kid: 'no-such-key' })}.${p}.${s}`);
  });

  it('a token signed by a key we do not hold is rejected, with our kid or its own', async () => {
    const m = await member(app);
    const { privateKey } = await generateKeyPair('ES256');
    const claims = decodeJwt(m.accessToken);
    for (const kid of [decodeProtectedHeader(m.accessToken).kid!, 'attacker-key']) {
      await expectInvalid(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey));
    }
  });

  it('garbage and an empty bearer are rejected', async () => {
    await expectInvalid('not.a.jwt');
    await expectInvalid('abc');
    const res = await app.inject({ method: 'GET', url: '/internal/auth/resolve' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('an expired token: 401 TOKEN_EXPIRED', async () => {
    const clock = new ManualClock();
    const timed = await testApp({}, clock);
    try {
      const m = await member(timed);
      expect((await resolve(timed, m.accessToken)).statusCode).toBe(200);
      clock.advance(3_601_000);
      const res = await resolve(timed, m.accessToken);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('TOKEN_EXPIRED');
      expect(res.headers['x-relogin-required']).toBe('true');
    } finally {
      await timed.close();
    }
  });

  it('a token of a key another replica created resolves (the unknown kid triggers a reload)', async () => {
    const other = await testApp();
    try {
      await other.member.keys.rotate({ force: true });
      const m = await member(other);
      expect(decodeProtectedHeader(m.accessToken).kid).toBe(other.member.keys.activeKid);
      expect((await resolve(app, m.accessToken)).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe.skipIf(missing)('refresh tokens', () => {
  let app: ServiceApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    app = await testApp({}, clock);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('rotates on every use: new access and refresh tokens, the new access token resolves', async () => {
    const m = await member(app);
    const res = await refresh(app, m.refreshToken);
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ accessToken: expect.any(String), expiresIn: 3600, refreshToken: expect.any(String) });
    expect(data.refreshToken).not.toBe(m.refreshToken);
    expect(res.headers.authorization).toBe(`Bearer ${data.accessToken}`);
    expect((await resolve(app, data.accessToken)).statusCode).toBe(200);
  });

  it('works from the cookie (and answers a new cookie, not the token in the body)', async () => {
    const m = await member(app);
    const res = await app.inject({ method: 'POST', url: '/api/token/refresh', cookies: { refresh_token: m.refreshToken } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.refreshToken).toBeUndefined();
    expect(String(res.headers['set-cookie'])).toMatch(/^refresh_token=[A-Za-z0-9_-]+;/);
  });

  it('a rotated token re-used within the grace period gets the same successor (two tabs)', async () => {
    const m = await member(app);
    const [a, b] = await Promise.all([refresh(app, m.refreshToken), refresh(app, m.refreshToken)]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.json().data).toEqual(a.json().data);
    clock.advance(9_000);
    const c = await refresh(app, m.refreshToken);
    expect(c.json().data).toEqual(a.json().data);
  });

  it('re-use after the grace period: 401 and the whole chain is revoked, access tokens included', async () => {
    const m = await member(app);
    const first = (await refresh(app, m.refreshToken)).json().data;
    const second = (await refresh(app, first.refreshToken)).json().data;
    clock.advance(11_000);
    const reuse = await refresh(app, m.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('INVALID_REFRESH_TOKEN');
    expect((await refresh(app, second.refreshToken)).statusCode).toBe(401);
    for (const token of [first.accessToken, second.accessToken]) expect((await resolve(app, token)).json().code).toBe('TOKEN_REVOKED');
  });

  it('an unknown, empty or expired refresh token is a 401', async () => {
    expect((await refresh(app, 'nope')).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/token/refresh' })).json().code).toBe('INVALID_REFRESH_TOKEN');
    const m = await member(app);
    clock.advance(15 * 86_400_000);
    expect((await refresh(app, m.refreshToken)).statusCode).toBe(401);
  });
});

describe.skipIf(missing)('revocations survive Redis', () => {
  let app: ServiceApp;
  let redis: Redis;
  beforeAll(async () => {
    app = await testApp();
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(async () => {
    await app?.close();
    redis?.disconnect();
  });

  it('Redis flushed after logout: the token stays revoked, and Redis is re-filled from PostgreSQL', async () => {
    const m = await member(app);
    const jti = decodeJwt(m.accessToken).jti!;
    await app.inject({ method: 'POST', url: '/api/authentication/logout', headers: bearer(m.accessToken) });
    await flushMemberKeys(redis);
    const res = await resolve(app, m.accessToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('TOKEN_REVOKED');
    const deadline = Date.now() + 2000;
    while (!(await redis.exists(`dailyfeed:member:revoked:${jti}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await redis.exists(`dailyfeed:member:revoked:${jti}`)).toBe(1);
    expect(await redis.exists('dailyfeed:member:revocations-warm')).toBe(1);
  });

  it('Redis flushed after logout-all: the old tokens stay revoked, a new login resolves', async () => {
    const m = await member(app);
    const other = (await login(app, m.email)).json().data.accessToken;
    await app.inject({ method: 'POST', url: '/api/authentication/logout-all', headers: bearer(m.accessToken) });
    await flushMemberKeys(redis);
    expect((await resolve(app, other)).json().code).toBe('TOKEN_REVOKED');
    const fresh = (await login(app, m.email)).json().data.accessToken;
    expect((await resolve(app, fresh)).statusCode).toBe(200);
  });

  it('Redis unreachable: resolve answers from PostgreSQL (valid and revoked tokens)', async () => {
    const m = await member(app);
    const gone = await member(app);
    await app.inject({ method: 'POST', url: '/api/authentication/logout', headers: bearer(gone.accessToken) });
    const down = await testApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      expect((await resolve(down, m.accessToken)).statusCode).toBe(200);
      expect((await resolve(down, gone.accessToken)).json().code).toBe('TOKEN_REVOKED');
    } finally {
      await down.close();
    }
  });
});
