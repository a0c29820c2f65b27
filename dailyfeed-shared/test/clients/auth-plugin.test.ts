import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { createServiceApp, type ServiceApp } from '../../src/http/app-factory.ts';
import { authPlugin, getCallerOrThrow } from '../../src/clients/auth-plugin.ts';
import { MemberAuthResolver } from '../../src/clients/member-auth.ts';
import { deadUrl } from './helpers.ts';
import { startFakeMember, type FakeMember } from './member-svc-fake.ts';

let member: FakeMember;
let app: ServiceApp;
let downApp: ServiceApp;
const resolvers: MemberAuthResolver[] = [];

async function buildApp(memberBaseUrl: string): Promise<ServiceApp> {
  const resolver = new MemberAuthResolver({ memberBaseUrl, clientOverrides: { retry: { backoffMs: 1 } } });
  resolvers.push(resolver);
  const a = await createServiceApp({ name: 'test-svc', config: { LOG_LEVEL: 'silent', DAILYFEED_CORS_ORIGINS: '' }, logger: false });
  await a.register(authPlugin, { resolver });
  a.post(
    '/me',
    { preHandler: a.authenticate, schema: { body: Type.Object({ note: Type.String() }) } },
    async (request) => ({ status: 200, result: 'SUCCESS', data: { id: getCallerOrThrow(request).member.id, note: request.body.note } }),
  );
  a.get('/maybe', { preHandler: a.optionalAuthenticate }, async (request) => ({
    status: 200,
    result: 'SUCCESS',
    data: { id: request.caller?.member.id ?? null },
  }));
  a.get('/forgot-prehandler', async (request) => getCallerOrThrow(request));
  await a.ready();
  return a;
}

beforeAll(async () => {
  member = await startFakeMember();
  app = await buildApp(member.server.url);
  downApp = await buildApp(await deadUrl());
});
afterAll(async () => {
  await app.close();
  await downApp.close();
  await Promise.all(resolvers.map((r) => r.close()));
  await member.server.close();
});

const post = (a: ServiceApp, authorization?: string) =>
  a.inject({ method: 'POST', url: '/me', payload: { note: 'hi' }, headers: authorization ? { authorization } : {} });

describe('dailyfeed-auth plugin', () => {
  it('missing Authorization -> 401 AUTHENTICATION_REQUIRED with X-Relogin-Required', async () => {
    const res = await post(app);
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-relogin-required']).toBe('true');
    expect(res.json()).toMatchObject({ status: 401, result: 'FAIL', code: 'AUTHENTICATION_REQUIRED', path: '/me' });
  });

  it('malformed Authorization -> 401 AUTHENTICATION_REQUIRED', async () => {
    for (const header of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b']) {
      const res = await post(app, header);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AUTHENTICATION_REQUIRED');
      expect(res.headers['x-relogin-required']).toBe('true');
    }
  });

  it('a valid token sets request.caller; no refresh header unless member says so', async () => {
    const res = await post(app, `Bearer ${member.issue({ memberId: '11' })}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ id: '11', note: 'hi' });
    expect(res.headers['x-token-refresh-needed']).toBeUndefined();
  });

  it('refreshNeeded -> X-Token-Refresh-Needed: true', async () => {
    const res = await post(app, `Bearer ${member.issue({ memberId: '12', refreshNeeded: true })}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-token-refresh-needed']).toBe('true');
  });

  it('a token member-svc rejects -> 401 with its code and X-Relogin-Required', async () => {
    const t = member.issue({ memberId: '13' });
    member.revoke(t);
    const revoked = await post(app, `Bearer ${t}`);
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().code).toBe('TOKEN_REVOKED');
    expect(revoked.headers['x-relogin-required']).toBe('true');
    const unknown = await post(app, 'Bearer abc.def.ghi');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('INVALID_TOKEN');
  });

  it('member-svc unavailable -> 503 MEMBER_SERVICE_UNAVAILABLE', async () => {
    const res = await post(downApp, `Bearer ${member.issue({ memberId: '14' })}`);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'MEMBER_SERVICE_UNAVAILABLE', result: 'FAIL' });
    expect(res.headers['x-relogin-required']).toBeUndefined();
  });

  it('optionalAuthenticate: anonymous without a header, checked with one', async () => {
    expect((await app.inject({ url: '/maybe' })).json().data).toEqual({ id: null });
    const t = member.issue({ memberId: '15' });
    expect((await app.inject({ url: '/maybe', headers: { authorization: `Bearer ${t}` } })).json().data).toEqual({ id: '15' });
    const bad = await app.inject({ url: '/maybe', headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['x-relogin-required']).toBe('true');
  });

  it('getCallerOrThrow without authentication -> 401', async () => {
    const res = await app.inject({ url: '/forgot-prehandler' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTHENTICATION_REQUIRED');
  });
});
