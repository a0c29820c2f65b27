/** api.md §2 accounts: signup validation and conflicts, login, logout, logout-all, deactivate. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { PASSWORD, bearer, login, member, resolve, signup, testApp, uniqueHandle } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);

describe.skipIf(missing)('signup', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/authentication/signup', payload: payload as object });
  const valid = () => {
    const handle = uniqueHandle();
    return { email: `${handle}@example.com`, password: PASSWORD, memberName: 'Kim Test', handle };
  };

  it('creates a member: 201 {id} as a decimal string', async () => {
    const res = await post({ ...valid(), bio: 'hi', countryCode: 'kr', timezone: 'Asia/Seoul', birthDate: '1990-02-03', gender: 'F', languageCode: 'ko' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 201, result: 'SUCCESS', data: { id: expect.stringMatching(/^[1-9][0-9]*$/) } });
  });

  it.each([
    ['email missing', (b: Record<string, unknown>) => delete b.email, 'email'],
    ['email malformed', (b: Record<string, unknown>) => (b.email = 'not-an-email'), 'email'],
    ['email over 100', (b: Record<string, unknown>) => (b.email = `${'a'.repeat(95)}@example.com`), 'email'],
    ['password too short', (b: Record<string, unknown>) => (b.password = 'Aa1!aaa'), 'password'],
    ['password over 64', (b: Record<string, unknown>) => (b.password = `Aa1!${'a'.repeat(61)}`), 'password'],
    ['password without symbol', (b: Record<string, unknown>) => (b.password = 'Passw0rdxx'), 'password'],
    ['password without upper', (b: Record<string, unknown>) => (b.password = 'passw0rd!'), 'password'],
    ['password without digit', (b: Record<string, unknown>) => (b.password = 'Password!'), 'password'],
    ['memberName too short', (b: Record<string, unknown>) => (b.memberName = 'K'), 'memberName'],
    ['memberName over 30', (b: Record<string, unknown>) => (b.memberName = 'K'.repeat(31)), 'memberName'],
    ['handle with a dash', (b: Record<string, unknown>) => (b.handle = 'bad-handle'), 'handle'],
    ['handle too short', (b: Record<string, unknown>) => (b.handle = 'ab'), 'handle'],
    ['handle over 50', (b: Record<string, unknown>) => (b.handle = 'a'.repeat(51)), 'handle'],
    ['handle of wrong type', (b: Record<string, unknown>) => (b.handle = 12345), 'handle'],
    ['birthDate in the future', (b: Record<string, unknown>) => (b.birthDate = '2999-01-01'), 'birthDate'],
    ['birthDate not a date', (b: Record<string, unknown>) => (b.birthDate = '1990-02-30'), 'birthDate'],
    ['unknown timezone', (b: Record<string, unknown>) => (b.timezone = 'Mars/Base'), 'timezone'],
  ])('400 VALIDATION_FAILED: %s', async (_name, mutate, field) => {
    const body: Record<string, unknown> = valid();
    mutate(body);
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    const json = res.json();
    expect(json).toMatchObject({ status: 400, result: 'FAIL', code: 'VALIDATION_FAILED', path: '/api/authentication/signup' });
    expect(json.details.map((d: { field: string }) => d.field).join(',')).toContain(field);
  });

  it('accepts a 64-character password and ignores unknown fields', async () => {
    const res = await post({ ...valid(), password: `Aa1!${'b'.repeat(60)}`, isAdmin: true });
    expect(res.statusCode).toBe(201);
  });

  it('malformed JSON is a 400, not a 500', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/authentication/signup', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MALFORMED_JSON');
  });

  it('409 EMAIL_ALREADY_EXISTS (case-insensitive)', async () => {
    const first = valid();
    expect((await post(first)).statusCode).toBe(201);
    const res = await post({ ...valid(), email: first.email.toUpperCase() });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('EMAIL_ALREADY_EXISTS');
  });

  it('409 HANDLE_ALREADY_EXISTS (case-insensitive)', async () => {
    const first = valid();
    expect((await post(first)).statusCode).toBe(201);
    const res = await post({ ...valid(), handle: first.handle.toUpperCase() });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('HANDLE_ALREADY_EXISTS');
  });

  it('two concurrent signups with one handle: one 201, one 409', async () => {
    const handle = uniqueHandle('race');
    const a = { ...valid(), handle };
    const b = { ...valid(), handle: handle.toUpperCase() };
    const results = await Promise.all([post(a), post(b)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.statusCode === 409)!.json().code).toBe('HANDLE_ALREADY_EXISTS');
  });
});

describe.skipIf(missing)('login, logout, logout-all, deactivate', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('login: 200 {accessToken, expiresIn, member}, Authorization header, refresh cookie scoped to /api/token', async () => {
    const created = await signup(app, { displayName: 'Shown' });
    const res = await login(app, created.email);
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ expiresIn: 3600, member: { id: created.id, handle: created.handle, displayName: 'Shown', avatarUrl: null, verified: false } });
    expect(res.headers.authorization).toBe(`Bearer ${data.accessToken}`);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^refresh_token=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/api\/token/);
    expect(cookie).not.toMatch(/Secure/); // local mode
  });

  it('refresh cookie is Secure outside local mode', async () => {
    const prod = await testApp({ DAILYFEED_LOCAL_MODE: 'false' });
    try {
      const created = await signup(prod);
      const res = await login(prod, created.email);
      expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
    } finally {
      await prod.close();
    }
  });

  it('wrong password and unknown email give the same 401 INVALID_CREDENTIALS', async () => {
    const created = await signup(app);
    const wrong = await login(app, created.email, 'Wrong0ne!', '10.1.0.1');
    const unknown = await login(app, `nobody_${created.handle}@example.com`, PASSWORD, '10.1.0.2');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'email or password is incorrect' });
    }
  });

  it('logout: the token is dead at once (resolve 401 TOKEN_REVOKED + X-Relogin-Required), its refresh token too', async () => {
    const m = await member(app);
    expect((await resolve(app, m.accessToken)).statusCode).toBe(200);
    const started = Date.now();
    const out = await app.inject({ method: 'POST', url: '/api/authentication/logout', headers: bearer(m.accessToken) });
    expect(out.statusCode).toBe(200);
    const after = await resolve(app, m.accessToken);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('TOKEN_REVOKED');
    expect(after.headers['x-relogin-required']).toBe('true');
    const refresh = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refreshToken: m.refreshToken } });
    expect(refresh.statusCode).toBe(401);
    const me = await app.inject({ method: 'GET', url: '/api/members/me', headers: bearer(m.accessToken) });
    expect(me.statusCode).toBe(401);
  });

  it('logout publishes {jti} on dailyfeed:auth:revoked', async () => {
    const { Redis } = await import('ioredis');
    const sub = new Redis(process.env.REDIS_URL!);
    const messages: string[] = [];
    await sub.subscribe('dailyfeed:auth:revoked');
    sub.on('message', (_channel, message) => messages.push(message));
    try {
      const m = await member(app);
      const jti = (await resolve(app, m.accessToken)).json().data.tokenId;
      await app.inject({ method: 'POST', url: '/api/authentication/logout', headers: bearer(m.accessToken) });
      const deadline = Date.now() + 1000;
      while (!messages.some((msg) => JSON.parse(msg).jti === jti) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(messages.map((msg) => JSON.parse(msg))).toContainEqual({ jti });
    } finally {
      sub.disconnect();
    }
  });

  it('logout-all: every access and refresh token of the member dies; a new login works', async () => {
    const m = await member(app);
    const second = (await login(app, m.email)).json().data;
    const res = await app.inject({ method: 'POST', url: '/api/authentication/logout-all', headers: bearer(m.accessToken) });
    expect(res.statusCode).toBe(200);
    for (const token of [m.accessToken, second.accessToken]) expect((await resolve(app, token)).json().code).toBe('TOKEN_REVOKED');
    for (const refreshToken of [m.refreshToken, second.refreshToken]) {
      expect((await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refreshToken } })).statusCode).toBe(401);
    }
    const again = (await login(app, m.email)).json().data;
    expect((await resolve(app, again.accessToken)).statusCode).toBe(200);
  });

  it('deactivate: 204, tokens dead, login refused, summary shows the "deleted" placeholder', async () => {
    const m = await member(app);
    const res = await app.inject({ method: 'DELETE', url: '/api/authentication/deactivate', headers: bearer(m.accessToken) });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await resolve(app, m.accessToken)).statusCode).toBe(401);
    expect((await login(app, m.email)).json().code).toBe('INVALID_CREDENTIALS');
    const summaries = await app.inject({ method: 'POST', url: '/internal/members/summaries', payload: { ids: [m.id] } });
    expect(summaries.json().data).toEqual([{ id: m.id, handle: 'deleted', displayName: 'deleted', avatarUrl: null, verified: false }]);
  });

  it('routes that need a token: 401 AUTHENTICATION_REQUIRED without one', async () => {
    for (const [method, url] of [['POST', '/api/authentication/logout'], ['POST', '/api/authentication/logout-all'], ['DELETE', '/api/authentication/deactivate'], ['GET', '/api/members/me']] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AUTHENTICATION_REQUIRED');
      expect(res.headers['x-relogin-required']).toBe('true');
    }
  });
});
