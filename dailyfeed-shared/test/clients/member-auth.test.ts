import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { MemberAuthResolver, SUBSCRIBER_NAME, decodeClaims, publishRevocation } from '../../src/clients/member-auth.ts';
import { AppError } from '../../src/http/errors.ts';
import { ServiceUnavailableError } from '../../src/clients/errors.ts';
import { deadUrl, sleep, token } from './helpers.ts';
import { startFakeMember, type FakeMember } from './member-svc-fake.ts';

// ---- Redis probe: the revocation tests need a real Redis at REDIS_URL, otherwise they are skipped (not passed).
const REDIS_URL = process.env.REDIS_URL;
async function probeRedis(): Promise<string | null> {
  if (!REDIS_URL) return 'REDIS_URL is not set';
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (error) {
    return `Redis at REDIS_URL unreachable: ${(error as Error).message}`;
  } finally {
    probe.disconnect();
  }
}
const redisSkipReason = await probeRedis();
if (redisSkipReason) console.warn(`[member-auth.test] SKIPPING revocation tests: ${redisSkipReason}`);

const resolvers: MemberAuthResolver[] = [];
const make = (options: ConstructorParameters<typeof MemberAuthResolver>[0]) => {
  const r = new MemberAuthResolver(options);
  resolvers.push(r);
  return r;
};
let member: FakeMember;
beforeAll(async () => {
  member = await startFakeMember();
});
afterAll(async () => {
  await member.server.close();
});
afterEach(async () => {
  await Promise.all(resolvers.splice(0).map((r) => r.close()));
  member.delayMs = 0;
});
const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (e: unknown) => e);

describe('decodeClaims', () => {
  it('reads jti and exp without verifying; null without them or for garbage', () => {
    expect(decodeClaims(token({ jti: 'a', exp: 10 }))).toEqual({ jti: 'a', exp: 10 });
    expect(decodeClaims(token({ exp: 10 }))).toBeNull();
    expect(decodeClaims(token({ jti: 'a' }))).toBeNull();
    expect(decodeClaims('not-a-jwt')).toBeNull();
    expect(decodeClaims('a.%%%.c')).toBeNull();
  });
});

describe('MemberAuthResolver (no Redis: short cache)', () => {
  it('resolves through member-svc and caches the answer by jti', async () => {
    const resolver = make({ memberBaseUrl: member.server.url });
    const t = member.issue({ memberId: '42', refreshNeeded: true });
    const before = member.calls();
    const first = await resolver.resolve(t);
    expect(first).toMatchObject({ member: { id: '42', handle: 'h42' }, refreshNeeded: true });
    expect(first.tokenId).toBe(decodeClaims(t)!.jti);
    const second = await resolver.resolve(t);
    expect(second).toEqual(first);
    expect(member.calls() - before).toBe(1);
    expect(member.server.hits.at(-1)!.headers.authorization).toBe(`Bearer ${t}`);
  });

  it('without the revocation channel an answer lives at most 500 ms', async () => {
    const resolver = make({ memberBaseUrl: member.server.url });
    const t = member.issue({ memberId: '1' });
    const before = member.calls();
    await resolver.resolve(t);
    await sleep(100);
    await resolver.resolve(t);
    expect(member.calls() - before).toBe(1);
    await sleep(500);
    await resolver.resolve(t);
    expect(member.calls() - before).toBe(2);
  });

  it('never caches a token without jti or exp', async () => {
    const resolver = make({ memberBaseUrl: member.server.url });
    const noJti = member.issue({ memberId: '1', jti: '' });
    const noExp = member.issue({ memberId: '1', omitExp: true });
    const before = member.calls();
    await resolver.resolve(noJti);
    await resolver.resolve(noJti);
    await resolver.resolve(noExp);
    await resolver.resolve(noExp);
    expect(member.calls() - before).toBe(4);
    expect(resolver.size).toBe(0);
  });

  it('a 401 is an unauthorized AppError with the upstream code and relogin header, never cached', async () => {
    const resolver = make({ memberBaseUrl: member.server.url });
    const t = member.issue({ memberId: '5' });
    member.revoke(t);
    const before = member.calls();
    for (let i = 0; i < 2; i++) {
      const error = await caught(resolver.resolve(t));
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 401, code: 'TOKEN_REVOKED', headers: { 'x-relogin-required': 'true' } });
    }
    expect(member.calls() - before).toBe(2);
  });

  it('a forged token reusing a cached jti is not answered from the cache', async () => {
    const resolver = make({ memberBaseUrl: member.server.url });
    const genuine = member.issue({ memberId: '9', jti: 'jti-shared' });
    await resolver.resolve(genuine);
    const [h, p] = genuine.split('.');
    const forged = `${h}.${p}.${Buffer.from('forged').toString('base64url')}`;
    expect(await caught(resolver.resolve(forged))).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
  });

  it('concurrent resolves of one token make one call', async () => {
    const resolver = make({ memberBaseUrl: member.server.url });
    member.delayMs = 50;
    const t = member.issue({ memberId: '3' });
    const before = member.calls();
    const answers = await Promise.all(Array.from({ length: 5 }, () => resolver.resolve(t)));
    expect(new Set(answers.map((a) => a.member.id))).toEqual(new Set(['3']));
    expect(member.calls() - before).toBe(1);
  });

  it('is bounded (LRU)', async () => {
    const resolver = make({ memberBaseUrl: member.server.url, maxEntries: 3 });
    const tokens = Array.from({ length: 5 }, (_, i) => member.issue({ memberId: String(i + 1) }));
    for (const t of tokens) await resolver.resolve(t);
    expect(resolver.size).toBe(3);
    const before = member.calls();
    await resolver.resolve(tokens[4]!); // recent: cached
    await resolver.resolve(tokens[0]!); // evicted: called again
    expect(member.calls() - before).toBe(1);
  });

  it('member-svc unreachable -> ServiceUnavailableError MEMBER_SERVICE_UNAVAILABLE', async () => {
    const resolver = make({ memberBaseUrl: await deadUrl(), clientOverrides: { retry: { backoffMs: 1 } } });
    const error = await caught(resolver.resolve(member.issue({ memberId: '1' })));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'MEMBER_SERVICE_UNAVAILABLE' });
  });
});

describe.skipIf(redisSkipReason !== null)('MemberAuthResolver with revocations on a real Redis', () => {
  let publisher: Redis;
  beforeAll(() => {
    publisher = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
  });
  afterAll(() => {
    publisher.disconnect();
  });

  const waitUntil = async (condition: () => boolean, maxMs: number): Promise<number> => {
    const started = performance.now();
    while (!condition()) {
      if (performance.now() - started > maxMs) throw new Error(`condition not met within ${maxMs} ms`);
      await sleep(5);
    }
    return performance.now() - started;
  };

  it('caches long while subscribed; a published jti revocation evicts within 1 s and the next resolve asks member again', async () => {
    const resolver = make({ memberBaseUrl: member.server.url, redis: publisher });
    await resolver.start();
    expect(resolver.revocationsConnected).toBe(true);
    const t = member.issue({ memberId: '77' });
    const before = member.calls();
    await resolver.resolve(t);
    await sleep(700); // longer than the disconnected cap: still cached because revocations flow
    await resolver.resolve(t);
    expect(member.calls() - before).toBe(1);

    const receivers = await publishRevocation(publisher, { jti: decodeClaims(t)!.jti });
    expect(receivers).toBeGreaterThanOrEqual(1);
    const evictedIn = await waitUntil(() => resolver.size === 0, 1_000);
    expect(evictedIn).toBeLessThan(1_000);
    member.revoke(t);
    expect(await caught(resolver.resolve(t))).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    expect(member.calls() - before).toBe(2);
  });

  it('a memberId revocation evicts every token of that member only', async () => {
    const resolver = make({ memberBaseUrl: member.server.url, redis: publisher });
    await resolver.start();
    const a1 = member.issue({ memberId: '100' });
    const a2 = member.issue({ memberId: '100' });
    const b = member.issue({ memberId: '200' });
    for (const t of [a1, a2, b]) await resolver.resolve(t);
    expect(resolver.size).toBe(3);
    await publishRevocation(publisher, { memberId: '100' });
    await waitUntil(() => resolver.size === 1, 1_000);
    const before = member.calls();
    await resolver.resolve(b);
    expect(member.calls() - before).toBe(0);
    await resolver.resolve(a1);
    expect(member.calls() - before).toBe(1);
  });

  it('losing the subscriber connection drops the cache, and it resubscribes', async () => {
    const resolver = make({ memberBaseUrl: member.server.url, redis: publisher });
    await resolver.start();
    await resolver.resolve(member.issue({ memberId: '300' }));
    expect(resolver.size).toBe(1);
    // kill only this process's subscriber connection
    const list = String(await publisher.call('CLIENT', 'LIST'));
    const ids = list
      .split('\n')
      .filter((line) => line.includes(`name=${SUBSCRIBER_NAME}-${process.pid} `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => !!id);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    for (const id of ids) await publisher.call('CLIENT', 'KILL', 'ID', id);
    await waitUntil(() => !resolver.revocationsConnected, 1_000);
    expect(resolver.size).toBe(0);
    await waitUntil(() => resolver.revocationsConnected, 5_000);
    const t = member.issue({ memberId: '301' });
    await resolver.resolve(t);
    await publishRevocation(publisher, { jti: decodeClaims(t)!.jti });
    await waitUntil(() => resolver.size === 0, 1_000);
  });

  it('publishRevocation needs a jti or a memberId', async () => {
    await expect(publishRevocation(publisher, {})).rejects.toThrow(/jti or a memberId/);
  });
});
