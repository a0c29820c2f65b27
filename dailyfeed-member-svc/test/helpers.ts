/** Test support: the app built as in production, with unique members per run. */
import { createHash } from 'node:crypto';
import { runId } from '../dailyfeed-shared/testing/servers.ts';
import { buildApp } from '../src/app.ts';
import { loadMemberConfig, type MemberConfig } from '../src/config.ts';
import type { Clock } from '../src/support/clock.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';

/** Fixed: signing keys persist in the test database, sealed with this KEK, across runs. */
export const TEST_KEK = createHash('sha256').update('dailyfeed-member-svc test KEK').digest('base64');
export const PASSWORD = 'Passw0rd!';

export function testConfig(overrides: Record<string, string> = {}): MemberConfig {
  return loadMemberConfig({
    ...process.env,
    JWT_KEK: TEST_KEK,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:59092',
    DAILYFEED_LOCAL_MODE: 'true',
    MEMBER_JOBS_ENABLED: 'false',
    MEMBER_OUTBOX_RELAY_ENABLED: 'false', // only the Kafka suite relays, under its own topic prefix
    LOG_LEVEL: 'silent',
    // cheaper hashing keeps suites quick; the benchmark uses the production parameters
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    IMAGE_SVC_URL: '',
    ...overrides,
  });
}

export async function testApp(overrides: Record<string, string> = {}, clock?: Clock): Promise<ServiceApp> {
  return buildApp(testConfig(overrides), { logger: false, ...(clock ? { clock } : {}) });
}

let counter = 0;
export function uniqueHandle(prefix = 'u'): string {
  counter += 1;
  return `${prefix}_${runId()}${counter}`.slice(0, 50);
}

export interface TestMember {
  id: string;
  handle: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

export async function signup(app: ServiceApp, extra: Record<string, unknown> = {}): Promise<{ id: string; handle: string; email: string }> {
  const handle = uniqueHandle();
  const email = `${handle}@example.com`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/authentication/signup',
    payload: { email, password: PASSWORD, memberName: 'Test User', handle, ...extra },
  });
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  return { id: res.json().data.id, handle, email };
}

export async function login(app: ServiceApp, email: string, password = PASSWORD, ip = '10.0.0.1') {
  return app.inject({
    method: 'POST',
    url: '/api/authentication/login',
    payload: { email, password, includeRefreshToken: true },
    remoteAddress: ip,
  });
}

export async function member(app: ServiceApp, extra: Record<string, unknown> = {}): Promise<TestMember> {
  const created = await signup(app, extra);
  const res = await login(app, created.email);
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const data = res.json().data;
  return { ...created, accessToken: data.accessToken, refreshToken: data.refreshToken };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function resolve(app: ServiceApp, token: string) {
  return app.inject({ method: 'GET', url: '/internal/auth/resolve', headers: bearer(token) });
}
