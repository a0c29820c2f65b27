/**
 * Who is calling? Every service except member-svc asks member-svc (api.md §1):
 * `GET /internal/auth/resolve` with the caller's bearer token, through a `critical` client.
 *
 * Caching (an answer served from this cache is not a call, operations.md §4):
 * - Keyed by the token's `jti`, read from the JWT payload WITHOUT verifying it: the payload is
 *   used only for the key and `exp`. The entry also keeps a SHA-256 of the whole token and is
 *   served only to that exact token, so a forged token reusing a known jti is never answered
 *   from the cache. A token without `jti` or `exp` is never cached.
 * - An entry lives at most min(token's remaining life, member's expiresAt, maxTtlMs = 60 s).
 * - Bounded (LRU, default 10,000 entries).
 * - Revocations: member-svc publishes `{jti?, memberId?}` on Redis channel
 *   `dailyfeed:auth:revoked` (publishRevocation below); the resolver evicts that jti, or every
 *   entry of that member, as soon as the message arrives.
 * - Redis pub/sub does not replay messages missed while disconnected. So while the subscriber
 *   is not connected and subscribed (not started, connecting, reconnecting), an answer is cached
 *   for at most 500 ms, and on losing the connection the whole cache is dropped. A logout thus
 *   holds everywhere within 1 s, connected or not. (A silent network partition that ioredis
 *   has not yet noticed is the remaining gap: the connection counts as up until its socket closes.)
 * - Negative answers (401) are never cached; an answer that was in flight while a revocation
 *   arrived is returned but not cached. Concurrent resolves of one token share one call.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Summary } from '../contracts/api.ts';
import { ErrorCode } from '../contracts/error-codes.ts';
import { unauthorized } from '../http/errors.ts';
import { ServiceUnavailableError, UpstreamRejectedError } from './errors.ts';
import { createServiceClient, type ServiceClient } from './service-client.ts';
import type { ProfileOverrides } from './profiles.ts';

export const AUTH_REVOKED_CHANNEL = 'dailyfeed:auth:revoked';
export const AUTH_RESOLVE_PATH = '/internal/auth/resolve';
/** CLIENT LIST name of the revocation subscriber (suffixed with the pid). */
export const SUBSCRIBER_NAME = 'dailyfeed-auth-revocations';

export interface ResolvedCaller {
  member: Summary;
  tokenId: string;
  /** ISO time the access token expires */
  expiresAt: string;
  /** The token was signed with a key being rotated out: answer X-Token-Refresh-Needed: true. */
  refreshNeeded: boolean;
}

/** What the auth plugin needs; MemberAuthResolver is the implementation. */
export interface CallerResolver {
  resolve(bearerToken: string): Promise<ResolvedCaller>;
}

export interface Revocation {
  jti?: string;
  memberId?: string;
}

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface MemberAuthResolverOptions {
  /** A member-svc client (profile critical); or give memberBaseUrl and one is created. */
  client?: ServiceClient;
  memberBaseUrl?: string;
  /** Overrides for the created client (tests). */
  clientOverrides?: ProfileOverrides;
  /** Any ioredis connection: the resolver subscribes on its own duplicate() and closes it on close(). */
  redis?: Redis;
  maxTtlMs?: number;
  /** Cap while the revocation subscriber is not connected. */
  disconnectedTtlMs?: number;
  maxEntries?: number;
  logger?: Logger;
  now?: () => number;
}

interface Entry {
  token: string;
  tokenHash: string;
  memberId: string;
  expiresAtMs: number;
  value: ResolvedCaller;
}

const UNAUTHORIZED_CODES = new Set<string>([
  ErrorCode.INVALID_TOKEN,
  ErrorCode.TOKEN_EXPIRED,
  ErrorCode.TOKEN_REVOKED,
  ErrorCode.MEMBER_NOT_FOUND,
  ErrorCode.AUTHENTICATION_REQUIRED,
]);

export class MemberAuthResolver implements CallerResolver {
  private readonly client: ServiceClient;
  private readonly ownsClient: boolean;
  private readonly maxTtlMs: number;
  private readonly disconnectedTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private readonly redis: Redis | undefined;

  /** jti -> entry, in LRU order (Map keeps insertion order; a hit re-inserts). */
  private readonly cache = new Map<string, Entry>();
  /** The exact token of each entry -> its jti: a repeat caller is answered without hashing or decoding. */
  private readonly byToken = new Map<string, string>();
  private readonly byMember = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, Promise<ResolvedCaller>>();
  /** Bumped on every revocation and disconnect: an answer fetched across a bump is not cached. */
  private generation = 0;
  private subscriber: Redis | undefined;
  private subscribed = false;
  private closed = false;

  constructor(options: MemberAuthResolverOptions) {
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else if (options.memberBaseUrl) {
      this.client = createServiceClient({
        serviceName: 'member',
        baseUrl: options.memberBaseUrl,
        profile: 'critical',
        ...(options.clientOverrides ? { overrides: options.clientOverrides } : {}),
      });
      this.ownsClient = true;
    } else {
      throw new Error('MemberAuthResolver needs a member client or memberBaseUrl (MEMBER_SVC_URL)');
    }
    this.maxTtlMs = options.maxTtlMs ?? 60_000;
    this.disconnectedTtlMs = options.disconnectedTtlMs ?? 500;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.redis = options.redis;
  }

  /** The member-svc client (its breaker state feeds metrics). */
  get memberClient(): ServiceClient {
    return this.client;
  }

  /** True while revocations are being received (long cache TTL in effect). */
  get revocationsConnected(): boolean {
    return this.subscribed;
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Starts listening for revocations. Resolves once subscribed; the service need not wait
   * (until then answers are cached for at most disconnectedTtlMs). ioredis reconnects by itself.
   */
  start(): Promise<void> {
    if (!this.redis) return Promise.resolve();
    if (this.subscriber) return this.waitSubscribed();
    const sub = this.redis.duplicate({ connectionName: `${SUBSCRIBER_NAME}-${process.pid}` });
    this.subscriber = sub;
    sub.on('message', (channel: string, message: string) => {
      if (channel === AUTH_REVOKED_CHANNEL) this.onRevocationMessage(message);
    });
    sub.on('ready', () => {
      sub.subscribe(AUTH_REVOKED_CHANNEL).then(
        () => {
          if (this.closed || this.subscribed) return;
          this.subscribed = true;
          this.logger?.info({ channel: AUTH_REVOKED_CHANNEL }, 'auth cache: listening for revocations');
        },
        (error: unknown) => this.logger?.warn({ err: error }, 'auth cache: subscribe failed'),
      );
    });
    const lost = () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      this.generation++;
      this.clearCache();
      if (!this.closed) this.logger?.warn({ channel: AUTH_REVOKED_CHANNEL }, 'auth cache: revocation channel lost, cache dropped (500 ms TTL until back)');
    };
    sub.on('close', lost);
    sub.on('end', lost);
    sub.on('reconnecting', lost);
    sub.on('error', (error: unknown) => this.logger?.warn({ err: error }, 'auth cache: redis subscriber error'));
    if (sub.status === 'wait') sub.connect().catch(() => undefined); // lazyConnect connections
    return this.waitSubscribed();
  }

  private waitSubscribed(): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.subscribed || this.closed) resolve();
        else setTimeout(check, 10).unref();
      };
      check();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribed = false;
    this.clearCache();
    if (this.subscriber) {
      this.subscriber.disconnect();
      this.subscriber = undefined;
    }
    if (this.ownsClient) await this.client.close();
  }

  async resolve(bearerToken: string): Promise<ResolvedCaller> {
    const knownJti = this.byToken.get(bearerToken);
    if (knownJti !== undefined) {
      const hit = this.cache.get(knownJti);
      if (hit && hit.expiresAtMs > this.now()) {
        this.cache.delete(knownJti);
        this.cache.set(knownJti, hit);
        return hit.value;
      }
    }
    const tokenHash = createHash('sha256').update(bearerToken).digest('base64url');
    const claims = decodeClaims(bearerToken);
    if (claims) {
      const hit = this.cache.get(claims.jti);
      if (hit && hit.tokenHash === tokenHash && hit.expiresAtMs > this.now()) {
        this.cache.delete(claims.jti);
        this.cache.set(claims.jti, hit);
        return hit.value;
      }
    }
    const pending = this.inFlight.get(tokenHash);
    if (pending) return pending;
    const call = this.fetchAndCache(bearerToken, tokenHash, claims).finally(() => this.inFlight.delete(tokenHash));
    this.inFlight.set(tokenHash, call);
    return call;
  }

  private async fetchAndCache(bearerToken: string, tokenHash: string, claims: Claims | null): Promise<ResolvedCaller> {
    const generation = this.generation;
    let value: ResolvedCaller;
    try {
      value = await this.client.get<ResolvedCaller>(AUTH_RESOLVE_PATH, { headers: { authorization: `Bearer ${bearerToken}` } });
    } catch (error) {
      throw this.mapError(error);
    }
    if (!isResolvedCaller(value)) {
      throw new ServiceUnavailableError('member', 'bad-response', { cause: new Error('auth resolve answer has an unexpected shape') });
    }
    if (claims && generation === this.generation && !this.closed) {
      const now = this.now();
      const memberExpiry = Date.parse(value.expiresAt);
      const ttl = Math.min(
        claims.exp * 1000 - now,
        Number.isFinite(memberExpiry) ? memberExpiry - now : Infinity,
        this.subscribed ? this.maxTtlMs : Math.min(this.maxTtlMs, this.disconnectedTtlMs),
      );
      if (ttl > 0) this.store(claims.jti, { token: bearerToken, tokenHash, memberId: value.member.id, expiresAtMs: now + ttl, value });
    }
    return value;
  }

  private mapError(error: unknown): unknown {
    if (!(error instanceof UpstreamRejectedError)) return error; // ServiceUnavailableError and bugs pass through
    if (error.upstreamStatus === 401) {
      const code = UNAUTHORIZED_CODES.has(error.code) ? error.code : ErrorCode.INVALID_TOKEN;
      return unauthorized(code, error.message);
    }
    // A token member-svc cannot even parse is not a valid token (never a 5xx for client input).
    if (error.upstreamStatus === 400 || error.upstreamStatus === 422) return unauthorized(ErrorCode.INVALID_TOKEN, 'access token is invalid');
    // Anything else (403, 404, 429, ...) is not the caller's fault: member-svc is not usable.
    return new ServiceUnavailableError('member', 'bad-response', { cause: error, upstreamStatus: error.upstreamStatus });
  }

  private store(jti: string, entry: Entry): void {
    this.remove(jti);
    this.cache.set(jti, entry);
    this.byToken.set(entry.token, jti);
    let jtis = this.byMember.get(entry.memberId);
    if (!jtis) this.byMember.set(entry.memberId, (jtis = new Set()));
    jtis.add(jti);
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
  }

  private remove(jti: string): void {
    const entry = this.cache.get(jti);
    if (!entry) return;
    this.cache.delete(jti);
    this.byToken.delete(entry.token);
    const jtis = this.byMember.get(entry.memberId);
    jtis?.delete(jti);
    if (jtis && jtis.size === 0) this.byMember.delete(entry.memberId);
  }

  private clearCache(): void {
    this.cache.clear();
    this.byToken.clear();
    this.byMember.clear();
  }

  /** Applies a revocation (the Redis handler calls this; exposed for member-svc's own process). */
  evict(revocation: Revocation): void {
    this.generation++;
    if (revocation.jti) this.remove(revocation.jti);
    if (revocation.memberId) {
      for (const jti of [...(this.byMember.get(revocation.memberId) ?? [])]) this.remove(jti);
    }
  }

  private onRevocationMessage(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      parsed = undefined;
    }
    const revocation = parsed as Revocation | undefined;
    const jti = typeof revocation?.jti === 'string' ? revocation.jti : undefined;
    const memberId = typeof revocation?.memberId === 'string' ? revocation.memberId : undefined;
    if (!jti && !memberId) {
      // unreadable: be safe, forget everything
      this.logger?.warn({ message: message.slice(0, 200) }, 'auth cache: unreadable revocation, cache dropped');
      this.generation++;
      this.clearCache();
      return;
    }
    this.evict({ ...(jti ? { jti } : {}), ...(memberId ? { memberId } : {}) });
  }
}

/** member-svc: announce a revocation to every service's auth cache. Returns the receiver count. */
export async function publishRevocation(redis: Redis, revocation: Revocation): Promise<number> {
  if (!revocation.jti && !revocation.memberId) throw new Error('publishRevocation needs a jti or a memberId');
  const message: Revocation = {};
  if (revocation.jti) message.jti = revocation.jti;
  if (revocation.memberId) message.memberId = revocation.memberId;
  return redis.publish(AUTH_REVOKED_CHANNEL, JSON.stringify(message));
}

interface Claims {
  jti: string;
  exp: number;
}

/** The payload's jti and exp, UNVERIFIED (cache key and lifetime only); null when absent. */
export function decodeClaims(token: string): Claims | null {
  if (token.length > 8192) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { jti?: unknown; exp?: unknown };
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) return null;
    if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return null;
    return { jti: payload.jti, exp: payload.exp };
  } catch {
    return null;
  }
}

function isResolvedCaller(value: unknown): value is ResolvedCaller {
  const v = value as Partial<ResolvedCaller> | null | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.member === 'object' &&
    v.member !== null &&
    typeof v.member.id === 'string' &&
    typeof v.tokenId === 'string' &&
    typeof v.expiresAt === 'string' &&
    typeof v.refreshNeeded === 'boolean'
  );
}
