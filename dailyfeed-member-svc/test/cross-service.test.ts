/** The real member-svc behind the shared MemberAuthResolver that every other service uses. */
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { MemberAuthResolver } from '../dailyfeed-shared/src/clients/member-auth.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { bearer, member, testApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);

describe.skipIf(missing)('other services resolving through the shared client', () => {
  let app: ServiceApp;
  let redis: Redis;
  let resolver: MemberAuthResolver;
  beforeAll(async () => {
    app = await testApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    redis = new Redis(process.env.REDIS_URL!);
    resolver = new MemberAuthResolver({ memberBaseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, redis });
    await resolver.start();
  });
  afterAll(async () => {
    await resolver?.close();
    redis?.disconnect();
    await app?.close();
  });

  const rejectedWithin = async (token: string, ms: number) => {
    const started = Date.now();
    for (;;) {
      try {
        await resolver.resolve(token);
      } catch (error) {
        return { error: error as { status: number; code: string }, elapsed: Date.now() - started };
      }
      if (Date.now() - started > ms) return { error: undefined, elapsed: Date.now() - started };
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('logout is visible to a caller\'s cached resolve within 1 s', async () => {
    const m = await member(app);
    expect((await resolver.resolve(m.accessToken)).member.id).toBe(m.id);
    expect((await resolver.resolve(m.accessToken)).member.id).toBe(m.id); // cached now
    await app.inject({ method: 'POST', url: '/api/authentication/logout', headers: bearer(m.accessToken) });
    const { error, elapsed } = await rejectedWithin(m.accessToken, 1000);
    expect(error).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    expect(elapsed).toBeLessThan(1000);
  });

  it('logout-all and deactivate are visible within 1 s too', async () => {
    const m = await member(app);
    const n = await member(app);
    await resolver.resolve(m.accessToken);
    await resolver.resolve(n.accessToken);
    await app.inject({ method: 'POST', url: '/api/authentication/logout-all', headers: bearer(m.accessToken) });
    await app.inject({ method: 'DELETE', url: '/api/authentication/deactivate', headers: bearer(n.accessToken) });
    for (const token of [m.accessToken, n.accessToken]) {
      const { error, elapsed } = await rejectedWithin(token, 1000);
      expect(error?.status).toBe(401);
      expect(elapsed).toBeLessThan(1000);
    }
  });
});
