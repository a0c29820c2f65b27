/** Signing-key rotation across simulated days (injected clock), through the shared job runner. */
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import type { ServiceApp } from '../dailyfeed-shared/src/http/app-factory.ts';
import { KEY_ROTATION_JOB } from '../src/jobs/member-jobs.ts';
import { ManualClock } from '../src/support/clock.ts';
import { SecretBox } from '../src/support/crypto.ts';
import { KeyStore } from '../src/tokens/key-store.ts';
import { createPool } from '../src/db/pool.ts';
import { kekBytes } from '../src/config.ts';
import { TEST_KEK, bearer, login, member, resolve, testApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis']);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function tickRotation(app: ServiceApp): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const result = await app.memberJobs!.tick(KEY_ROTATION_JOB);
    if (result === 'ran') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('rotation job never ran');
}

const kidsOf = async (app: ServiceApp) =>
  ((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as Array<{ kid: string }>).map((k) => k.kid);

describe.skipIf(missing)('key rotation', () => {
  const clock = new ManualClock();
  let app: ServiceApp;
  beforeAll(async () => {
    app = await testApp({ MEMBER_JOBS_ENABLED: 'true' }, clock);
    await app.member.keys.rotate({ force: true }); // a key created "now" on this clock
  });
  afterAll(async () => {
    await app?.close();
    // Leave the shared test database with a key of real time and no far-future retiring keys.
    const real = await testApp();
    await real.member.keys.rotate({ force: true });
    await real.member.pool.query(`UPDATE signing_keys SET status = 'retired', private_key_enc = NULL WHERE status = 'retiring'`);
    await real.close();
  });

  it('a day later the job rotates; old tokens stay valid (flagged) until they expire; the old key then leaves the JWKS', async () => {
    const keyA = app.member.keys.activeKid!;
    clock.advance(DAY - HOUR / 2); // 23.5 h: not due yet
    await tickRotation(app);
    expect(app.member.keys.activeKid).toBe(keyA);

    const m = await member(app);
    expect(decodeProtectedHeader(m.accessToken).kid).toBe(keyA);

    clock.advance(HOUR / 2); // 24 h: due
    await tickRotation(app);
    const keyB = app.member.keys.activeKid!;
    expect(keyB).not.toBe(keyA);
    expect(await kidsOf(app)).toEqual(expect.arrayContaining([keyA, keyB]));

    // the old token still works, flagged for refresh, on resolve and on member-svc's own routes
    const old = await resolve(app, m.accessToken);
    expect(old.statusCode).toBe(200);
    expect(old.json().data.refreshNeeded).toBe(true);
    expect(old.headers['x-token-refresh-needed']).toBe('true');
    const me = await app.inject({ method: 'GET', url: '/api/members/me', headers: bearer(m.accessToken) });
    expect(me.statusCode).toBe(200);
    expect(me.headers['x-token-refresh-needed']).toBe('true');

    // a refresh gets a token of the new key, not flagged
    const refreshed = (await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refreshToken: m.refreshToken } })).json().data;
    expect(decodeProtectedHeader(refreshed.accessToken).kid).toBe(keyB);
    const fresh = await resolve(app, refreshed.accessToken);
    expect(fresh.json().data.refreshNeeded).toBe(false);
    expect(fresh.headers['x-token-refresh-needed']).toBeUndefined();

    // the old token expires on its own time; the next run retires key A
    clock.advance(HOUR / 2 + 1000);
    expect((await resolve(app, m.accessToken)).json().code).toBe('TOKEN_EXPIRED');
    clock.advance(HOUR);
    await tickRotation(app);
    expect(app.member.keys.activeKid).toBe(keyB);
    expect(await kidsOf(app)).not.toContain(keyA);
    expect(await kidsOf(app)).toContain(keyB);
    const { rows } = await app.member.pool.query(`SELECT status, private_key_enc FROM signing_keys WHERE kid = $1`, [keyA]);
    expect(rows[0]).toEqual({ status: 'retired', private_key_enc: null });

    // and the day after, another rotation
    clock.advance(DAY);
    await tickRotation(app);
    expect(app.member.keys.activeKid).not.toBe(keyB);
    const later = (await login(app, m.email)).json().data.accessToken;
    expect((await resolve(app, later)).statusCode).toBe(200);
  });

  it('the JWKS never exposes private key material', async () => {
    const body = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(body.keys.length).toBeGreaterThan(0);
    for (const key of body.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
      expect(key.d).toBeUndefined();
    }
  });

  it.skipIf(!process.env.PG_ADMIN_URL)('two replicas starting together on an empty key table create exactly one key', async () => {
    // A scratch copy of the key table (same constraints), so the real keys stay untouched.
    const schema = `keytest_${Date.now().toString(36)}`;
    const admin = createPool(process.env.PG_ADMIN_URL!, 2);
    await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.signing_keys (LIKE member.signing_keys INCLUDING ALL)`);
    const pools = [createPool(process.env.PG_ADMIN_URL!, 3, schema), createPool(process.env.PG_ADMIN_URL!, 3, schema)];
    try {
      const box = new SecretBox(kekBytes(TEST_KEK));
      const stores = pools.map((pool) => new KeyStore({ pool, box, clock, rotationIntervalMs: DAY, maxTokenLifetimeMs: HOUR, reloadIntervalMs: 60_000 }));
      await Promise.all(stores.map((store) => store.init()));
      expect(stores[0]!.activeKid).toBeDefined();
      expect(stores[0]!.activeKid).toBe(stores[1]!.activeKid);
      const { rows } = await admin.query(`SELECT status FROM ${schema}.signing_keys`);
      expect(rows).toEqual([{ status: 'active' }]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });
});
