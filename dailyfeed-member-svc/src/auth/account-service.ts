/**
 * Accounts and sessions: signup, login, refresh (rotation with a grace period and re-use
 * detection), logout, logout-all, deactivate, and the resolve of an access token.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { AppError, unauthorized } from '../../dailyfeed-shared/src/http/errors.ts';
import { bumpTokenGeneration, findCredentialsByEmail, findMemberById, insertMember, type NewMember } from '../db/members-repo.ts';
import { inTransaction, uniqueViolation } from '../db/pool.ts';
import { insertRefreshToken, lockRefreshToken, markRotated, revokeChains } from '../db/refresh-tokens-repo.ts';
import { recordOf, summaryOf, summaryOfRecord } from '../members/member-mapper.ts';
import type { AccessTokens, AccessClaims } from '../tokens/access-tokens.ts';
import type { AuthState } from '../tokens/auth-state.ts';
import type { KeyStore } from '../tokens/key-store.ts';
import type { Clock } from '../support/clock.ts';
import { randomToken, sha256, type SecretBox } from '../support/crypto.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { Passwords } from './passwords.ts';

export interface ResolvedToken {
  member: Summary;
  tokenId: string;
  expiresAt: string;
  refreshNeeded: boolean;
  claims: AccessClaims;
}

export interface Session {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAtMs: number;
}

export interface AccountServiceDeps {
  pool: pg.Pool;
  clock: Clock;
  box: SecretBox;
  keys: KeyStore;
  accessTokens: AccessTokens;
  state: AuthState;
  passwords: Passwords;
  throttle: LoginThrottle;
  refreshTtlSeconds: number;
  refreshGraceSeconds: number;
  accessTtlSeconds: number;
}

const invalidCredentials = () => new AppError(401, ErrorCode.INVALID_CREDENTIALS, 'email or password is incorrect');
const invalidRefresh = (message = 'the refresh token is not valid') => unauthorized(ErrorCode.INVALID_REFRESH_TOKEN, message);

export class AccountService {
  constructor(private readonly d: AccountServiceDeps) {}

  async signup(input: Omit<NewMember, 'passwordHash'> & { password: string }): Promise<string> {
    const { password, ...rest } = input;
    const passwordHash = await this.d.passwords.hash(password);
    try {
      return await insertMember(this.d.pool, { ...rest, passwordHash });
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === 'members_email_lower_key') throw new AppError(409, ErrorCode.EMAIL_ALREADY_EXISTS, 'this email is already registered');
      if (constraint === 'members_handle_lower_key') throw new AppError(409, ErrorCode.HANDLE_ALREADY_EXISTS, 'this handle is already taken');
      throw error;
    }
  }

  async login(email: string, password: string, ip: string): Promise<Session & { member: Summary }> {
    await this.d.throttle.check(email, ip);
    const row = await findCredentialsByEmail(this.d.pool, email);
    const ok = row && row.deactivated_at === null
      ? await this.d.passwords.verify(row.password_hash, password)
      : await this.d.passwords.verifyDummy(password);
    if (!ok || !row) {
      await this.d.throttle.recordFailure(email, ip);
      throw invalidCredentials();
    }
    await this.d.throttle.reset(email);
    const session = await this.startChain(row.id, row.token_generation);
    return { ...session, member: summaryOf(row) };
  }

  /**
   * One refresh: the presented token is locked; fresh -> rotated (successor stored sealed);
   * rotated within the grace period -> the same successor; rotated earlier, or presented after
   * its chain was revoked -> the whole chain revoked (with its access tokens) and 401.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const now = this.d.clock.now();
    const outcome = await inTransaction(this.d.pool, async (tx) => {
      const row = await lockRefreshToken(tx, sha256(refreshToken));
      if (!row) return { kind: 'invalid' as const };
      if (row.revoked_at) return { kind: 'invalid' as const };
      if (row.expires_at.getTime() <= now) return { kind: 'invalid' as const };
      if (row.rotated_at) {
        if (now - row.rotated_at.getTime() <= this.d.refreshGraceSeconds * 1000 && row.successor_enc) {
          const session = JSON.parse(this.d.box.open('refresh-successor', row.successor_enc, row.id).toString()) as Session;
          return { kind: 'session' as const, session };
        }
        const revoked = await revokeChains(tx, { chainId: row.chain_id }, new Date(now));
        return { kind: 'reused' as const, revoked };
      }
      const member = await findMemberById(tx, row.member_id);
      if (!member || member.deactivated_at) return { kind: 'invalid' as const };
      const session = await this.issueSession(tx, member.id, member.token_generation, row.chain_id);
      await markRotated(tx, row.id, new Date(now), this.d.box.seal('refresh-successor', Buffer.from(JSON.stringify(session)), row.id));
      return { kind: 'session' as const, session };
    });
    if (outcome.kind === 'session') return outcome.session;
    if (outcome.kind === 'reused') {
      await this.blacklistIssued(outcome.revoked);
      throw invalidRefresh('the refresh token was already used; every session of this login is revoked');
    }
    throw invalidRefresh();
  }

  /** This access token and the login chain it belongs to die everywhere. */
  async logout(bearer: string): Promise<void> {
    const resolved = await this.resolve(bearer);
    const { claims } = resolved;
    const revoked = await revokeChains(this.d.pool, { accessJti: claims.jti }, new Date(this.d.clock.now()));
    await this.d.state.revokeTokens([{ jti: claims.jti, memberId: claims.sub, expiresAtMs: claims.exp * 1000 }]);
    await this.blacklistIssued(revoked.filter((row) => row.access_jti !== claims.jti));
  }

  /** Every refresh token of the member revoked; every access token issued so far dies (generation). */
  async logoutAll(bearer: string, deactivate = false): Promise<void> {
    const { claims } = await this.resolve(bearer);
    const now = new Date(this.d.clock.now());
    const member = await inTransaction(this.d.pool, async (tx) => {
      await revokeChains(tx, { memberId: claims.sub }, now);
      return bumpTokenGeneration(tx, claims.sub, deactivate);
    });
    if (member) await this.d.state.memberChanged(recordOf(member));
    await this.d.state.revokeTokens([{ jti: claims.jti, memberId: claims.sub, expiresAtMs: claims.exp * 1000 }]);
    await this.d.state.publish({ memberId: claims.sub });
  }

  deactivate(bearer: string): Promise<void> {
    return this.logoutAll(bearer, true);
  }

  /** Who is calling: in-memory signature check + one Redis round trip in the common case. */
  async resolve(bearer: string): Promise<ResolvedToken> {
    const claims = await this.d.accessTokens.verify(bearer);
    const { revoked, member } = await this.d.state.lookup(claims.jti, claims.sub);
    if (revoked) throw unauthorized(ErrorCode.TOKEN_REVOKED, 'the access token was revoked');
    if (!member || !member.active) throw unauthorized(ErrorCode.MEMBER_NOT_FOUND, 'the member of this token no longer exists');
    if (claims.gen !== member.gen) throw unauthorized(ErrorCode.TOKEN_REVOKED, 'the access token was revoked');
    const key = this.d.keys.knownKey(claims.kid);
    return {
      member: summaryOfRecord(member),
      tokenId: claims.jti,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      refreshNeeded: key?.status !== 'active',
      claims,
    };
  }

  private async startChain(memberId: string, generation: number): Promise<Session> {
    return this.issueSession(this.d.pool, memberId, generation, randomUUID());
  }

  private async issueSession(db: Pick<pg.Pool, 'query'>, memberId: string, generation: number, chainId: string): Promise<Session> {
    const access = await this.d.accessTokens.issue(memberId, generation);
    const refreshToken = randomToken();
    const now = this.d.clock.now();
    const refreshExpiresAtMs = now + this.d.refreshTtlSeconds * 1000;
    await insertRefreshToken(db, {
      tokenHash: sha256(refreshToken),
      memberId,
      chainId,
      accessJti: access.jti,
      createdAt: new Date(now),
      expiresAt: new Date(refreshExpiresAtMs),
    });
    return { accessToken: access.token, expiresIn: access.expiresIn, refreshToken, refreshExpiresAtMs };
  }

  /** Access tokens issued with revoked refresh tokens: blacklisted for their remaining life. */
  private async blacklistIssued(rows: Array<{ access_jti: string; member_id: string; created_at: Date }>): Promise<void> {
    await this.d.state.revokeTokens(
      rows.map((row) => ({ jti: row.access_jti, memberId: row.member_id, expiresAtMs: row.created_at.getTime() + this.d.accessTtlSeconds * 1000 })),
    );
  }
}
