/**
 * Access tokens: ES256 JWTs `{sub, jti, iat, exp, iss, gen}` with `kid` in the header, signed by
 * the active key. Verification only ever accepts ES256 with a key we hold (so `alg: none`,
 * HS256-with-the-public-key and unknown keys fail), and takes time from the injected clock.
 * Verified claims are kept in a small LRU keyed by the token's SHA-256 (the signature check is
 * the costliest step of a resolve); revocation is checked on every resolve regardless.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { unauthorized } from '../../dailyfeed-shared/src/http/errors.ts';
import type { Clock } from '../support/clock.ts';
import { sha256 } from '../support/crypto.ts';
import { SIGNING_ALG, type KeyStore } from './key-store.ts';

export interface AccessClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  gen: number;
  kid: string;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresAtMs: number;
  expiresIn: number;
}

const CACHE_MAX = 20_000;

export class AccessTokens {
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    private readonly keys: KeyStore,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
    private readonly issuer: string,
  ) {}

  async issue(memberId: string, generation: number): Promise<IssuedAccessToken> {
    const { kid, privateKey } = this.keys.signingKey();
    const nowSec = Math.floor(this.clock.now() / 1000);
    const jti = randomUUID();
    const exp = nowSec + this.ttlSeconds;
    const token = await new SignJWT({ gen: generation })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
      .setSubject(memberId)
      .setJti(jti)
      .setIssuer(this.issuer)
      .setIssuedAt(nowSec)
      .setExpirationTime(exp)
      .sign(privateKey);
    return { token, jti, expiresAtMs: exp * 1000, expiresIn: this.ttlSeconds };
  }

  /** Verified claims, or a 401 INVALID_TOKEN / TOKEN_EXPIRED. */
  async verify(token: string): Promise<AccessClaims> {
    const cacheKey = sha256(token).toString('base64');
    const cached = this.verified.get(cacheKey);
    if (cached) {
      if (cached.exp * 1000 <= this.clock.now()) throw unauthorized(ErrorCode.TOKEN_EXPIRED, 'the access token has expired');
      if (this.keys.knownKey(cached.kid)) return cached;
      this.verified.delete(cacheKey); // its key is gone (retired): verify from scratch
    }
    const claims = await this.verifySignature(token);
    if (this.verified.size >= CACHE_MAX) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(cacheKey, claims);
    return claims;
  }

  private async verifySignature(token: string): Promise<AccessClaims> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== SIGNING_ALG || typeof header.kid !== 'string') throw new Error('unsupported header');
      kid = header.kid;
    } catch {
      throw invalid();
    }
    const key = await this.keys.verificationKey(kid);
    if (!key) throw invalid();
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [SIGNING_ALG],
        issuer: this.issuer,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      });
      if (typeof payload.gen !== 'number' || !/^[1-9][0-9]{0,18}$/.test(payload.sub ?? '')) throw invalid();
      return { sub: payload.sub!, jti: payload.jti!, iat: payload.iat!, exp: payload.exp!, gen: payload.gen, kid };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw unauthorized(ErrorCode.TOKEN_EXPIRED, 'the access token has expired');
      throw invalid();
    }
  }
}

const invalid = () => unauthorized(ErrorCode.INVALID_TOKEN, 'the access token is not valid');
