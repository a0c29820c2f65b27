/** Login throttling per account and per IP, shared by replicas through Redis. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { PASSWORD, login, signup, testApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);
const uniqueIp = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

describe.skipIf(missing)('login throttling', () => {
  let a: ServiceApp;
  let b: ServiceApp;
  beforeAll(async () => {
    const limits = { LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', LOGIN_MAX_FAILURES_PER_IP: '8', LOGIN_FAILURE_WINDOW_SECONDS: '60' };
    [a, b] = await Promise.all([testApp(limits), testApp(limits)]); // two replicas
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('per account: the 6th attempt after 5 failures (on two replicas) is a 429 with Retry-After, even with the right password', async () => {
    const m = await signup(a);
    for (let i = 0; i < 5; i++) {
      const res = await login(i % 2 ? a : b, m.email, 'Wrong0ne!', uniqueIp());
      expect(res.statusCode).toBe(401);
    }
    for (const app of [a, b]) {
      const res = await login(app, m.email, PASSWORD, uniqueIp());
      expect(res.statusCode).toBe(429);
      expect(res.json().code).toBe('TOO_MANY_REQUESTS');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
  });

  it('a forged leftmost X-Forwarded-For does not escape the per-IP limit', async () => {
    const ip = uniqueIp();
    const attempt = (i: number) => a.inject({
      method: 'POST',
      url: '/api/authentication/login',
      payload: { email: `forger-${Date.now()}-${i}@example.com`, password: 'Wrong0ne!' },
      headers: { 'x-forwarded-for': `1.2.3.${i}, ${ip}` },
    });
    for (let i = 0; i < 8; i++) expect((await attempt(i)).statusCode).toBe(401);
    expect((await attempt(99)).statusCode).toBe(429);
  });

  it('a success clears the account counter', async () => {
    const m = await signup(a);
    const ip = uniqueIp();
    for (let i = 0; i < 4; i++) await login(a, m.email, 'Wrong0ne!', ip);
    expect((await login(a, m.email, PASSWORD, ip)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(b, m.email, 'Wrong0ne!', ip)).statusCode).toBe(401);
  });

  it('per IP: failures over many accounts (unknown ones too) block that IP only', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 8; i++) {
      const res = await login(i % 2 ? a : b, `nobody-${Date.now()}-${i}@example.com`, 'Wrong0ne!', ip);
      expect(res.statusCode).toBe(401);
    }
    const m = await signup(a);
    const blocked = await login(a, m.email, PASSWORD, ip);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    expect((await login(b, m.email, PASSWORD, uniqueIp())).statusCode).toBe(200);
  });
});
