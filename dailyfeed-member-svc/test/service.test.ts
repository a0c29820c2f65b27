/** Operations routes, OpenAPI, config validation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { ConfigError } from '../dailyfeed-shared/src/config/config.ts';
import { loadMemberConfig } from '../src/config.ts';
import { testApp } from './helpers.ts';

describe('config', () => {
  const base = { DATABASE_URL: 'postgresql://u:p@h/db', REDIS_URL: 'redis://h', KAFKA_BROKERS: 'h:9092' };
  it('JWT_KEK is required and must be base64 of 32 bytes', () => {
    expect(() => loadMemberConfig(base)).toThrow(/JWT_KEK is required/);
    expect(() => loadMemberConfig({ ...base, JWT_KEK: Buffer.alloc(16).toString('base64').repeat(2) + 'AAAA' })).toThrow(ConfigError);
    expect(() => loadMemberConfig({ ...base, JWT_KEK: '!'.repeat(44) })).toThrow(/JWT_KEK must be base64/);
    expect(loadMemberConfig({ ...base, JWT_KEK: Buffer.alloc(32, 1).toString('base64') }).ACCESS_TOKEN_TTL_SECONDS).toBe(3600);
  });
});

const missing = await missingServers(['postgres', 'redis']);

describe.skipIf(missing)('operations', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('health, metrics and docs', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthcheck/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthcheck/startup' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/healthcheck/ready' });
    expect(ready.json()).toMatchObject({ status: 'UP', checks: { postgres: 'up', 'signing-key': 'up' } });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('http_request_duration_seconds');
    expect(metrics).toContain('member_token_resolves_total');
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/authentication/signup', '/api/members/follow/{memberId}', '/internal/auth/resolve']));
  });

  it('CORS exposes the token headers', async () => {
    const cors = await testApp({ DAILYFEED_CORS_ORIGINS: 'https://web.example' });
    try {
      const res = await cors.inject({ method: 'GET', url: '/healthcheck/live', headers: { origin: 'https://web.example' } });
      expect(res.headers['access-control-expose-headers']).toContain('X-Token-Refresh-Needed');
    } finally {
      await cors.close();
    }
  });
});
