/** Profiles: me, profile, by handle, by id, summary, partial update, handle change, internal summaries. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { bearer, member, resolve, testApp, uniqueHandle } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);

describe.skipIf(missing)('profiles', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => {
    await app?.close();
  });
  const get = (url: string, token: string) => app.inject({ method: 'GET', url, headers: bearer(token) });
  const put = (url: string, token: string, payload: object) => app.inject({ method: 'PUT', url, headers: bearer(token), payload });

  it('GET /api/members/me: the Summary of the caller', async () => {
    const m = await member(app);
    const res = await get('/api/members/me', m.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 200, result: 'SUCCESS', data: { id: m.id, handle: m.handle, displayName: 'Test User', avatarUrl: null, verified: false } });
  });

  it('GET /api/members/profile: the full Profile of the caller', async () => {
    const m = await member(app, { bio: 'hello', countryCode: 'kr', birthDate: '1991-05-06', timezone: 'Asia/Seoul' });
    const res = await get('/api/members/profile', m.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      id: m.id, handle: m.handle, memberName: 'Test User', bio: 'hello', countryCode: 'KR', birthDate: '1991-05-06', timezone: 'Asia/Seoul',
      privacyLevel: 'PUBLIC', followersCount: 0, followingsCount: 0, following: false, location: null, avatarImageId: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it('by @handle (any case), by id, summary; 404 MEMBER_NOT_FOUND; 400 for a bad id', async () => {
    const me = await member(app);
    const other = await member(app);
    const byHandle = await get(`/api/members/profile/@${other.handle.toUpperCase()}`, me.accessToken);
    expect(byHandle.statusCode).toBe(200);
    expect(byHandle.json().data.id).toBe(other.id);
    expect((await get(`/api/members/${other.id}/profile`, me.accessToken)).json().data.handle).toBe(other.handle);
    expect((await get(`/api/members/${other.id}/summary`, me.accessToken)).json().data).toEqual({ id: other.id, handle: other.handle, displayName: 'Test User', avatarUrl: null, verified: false });
    for (const url of ['/api/members/profile/@nobody_here_xyz', '/api/members/999999999999/profile', '/api/members/999999999999/summary']) {
      const res = await get(url, me.accessToken);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('MEMBER_NOT_FOUND');
    }
    for (const url of ['/api/members/abc/profile', '/api/members/-1/summary', '/api/members/profile/@a-b']) {
      expect((await get(url, me.accessToken)).statusCode).toBe(400);
    }
  });

  it('PUT /api/members/profile: partial update; null clears; wrong types are 400; summaries see it at once', async () => {
    const m = await member(app, { bio: 'old bio', location: 'Seoul' });
    const res = await put('/api/members/profile', m.accessToken, { displayName: 'New Name', bio: null, privacyLevel: 'FOLLOWERS', avatarImageId: '42' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ displayName: 'New Name', bio: null, location: 'Seoul', privacyLevel: 'FOLLOWERS', avatarImageId: '42', avatarUrl: '/api/images/view/42?variant=thumbnail' });
    expect((await resolve(app, m.accessToken)).json().data.member).toMatchObject({ displayName: 'New Name', avatarUrl: '/api/images/view/42?variant=thumbnail' });
    const summaries = await app.inject({ method: 'POST', url: '/internal/members/summaries', payload: { ids: [m.id] } });
    expect(summaries.json().data[0].displayName).toBe('New Name');
    for (const bad of [{ displayName: 123 }, { privacyLevel: 'SECRET' }, { birthDate: '2999-01-01' }, { websiteUrl: 'javascript:alert(1)' }, { avatarImageId: 'abc' }]) {
      const r = await put('/api/members/profile', m.accessToken, bad);
      expect(r.statusCode).toBe(400);
      expect(r.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('PUT /api/members/profile/handle: changes it; 409 HANDLE_ALREADY_EXISTS if taken (any case); 400 if malformed', async () => {
    const m = await member(app);
    const other = await member(app);
    const newHandle = uniqueHandle('new');
    const res = await put('/api/members/profile/handle', m.accessToken, { newHandle });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.handle).toBe(newHandle);
    expect((await get('/api/members/me', m.accessToken)).json().data.handle).toBe(newHandle);
    const taken = await put('/api/members/profile/handle', m.accessToken, { newHandle: other.handle.toUpperCase() });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('HANDLE_ALREADY_EXISTS');
    expect((await put('/api/members/profile/handle', m.accessToken, { newHandle: 'no spaces' })).statusCode).toBe(400);
  });

  it('POST /internal/members/summaries: in the order asked, unknown ids left out, at most 1000 ids', async () => {
    const a = await member(app);
    const b = await member(app);
    const res = await app.inject({ method: 'POST', url: '/internal/members/summaries', payload: { ids: [b.id, '999999999998', a.id, b.id] } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.map((s: { id: string }) => s.id)).toEqual([b.id, a.id]);
    const tooMany = await app.inject({ method: 'POST', url: '/internal/members/summaries', payload: { ids: Array.from({ length: 1001 }, (_, i) => String(i + 1)) } });
    expect(tooMany.statusCode).toBe(400);
  });
});
