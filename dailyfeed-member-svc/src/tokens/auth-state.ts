/**
 * The state the resolve path reads, kept in Redis (one MGET per resolve) with PostgreSQL as
 * the source of truth:
 * - `dailyfeed:member:revoked:{jti}`: blacklisted access tokens (TTL = their remaining life);
 *   the same jti is in `revoked_tokens`, so a Redis flush never brings a logged-out token back;
 * - `dailyfeed:member:auth:{id}`: the member record (summary fields, token generation, active);
 *   writers SET it after their commit, readers fill a miss with SET NX so a reader that loaded
 *   an older row never overwrites a writer's newer one;
 * - `dailyfeed:member:revocations-warm`: set once Redis holds every live revocation. A flush
 *   removes it: resolves then check `revoked_tokens` in PostgreSQL and one replica-local task
 *   re-copies the live revocations into Redis and sets the marker again.
 * Redis unreachable: the resolve path reads PostgreSQL (one query). A revocation whose Redis
 * write failed is retried every second, and the marker is dropped once Redis answers again,
 * so stale Redis data is never trusted after an outage.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { publishRevocation } from '../../dailyfeed-shared/src/clients/member-auth.ts';
import { findMemberById, findMembersByIds } from '../db/members-repo.ts';
import { recordOf, type MemberRecord } from '../members/member-mapper.ts';
import type { Clock } from '../support/clock.ts';

const REVOKED = (jti: string) => `dailyfeed:member:revoked:${jti}`;
const AUTH = (id: string) => `dailyfeed:member:auth:${id}`;
const WARM = 'dailyfeed:member:revocations-warm';
const RECORD_TTL_SECONDS = 86_400;

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface AuthLookup {
  revoked: boolean;
  member: MemberRecord | undefined;
}

export class AuthState {
  private rehydrating: Promise<void> | undefined;
  private pendingJtis = new Map<string, number>();
  private pendingMembers = new Set<string>();
  private needsRepair = false;
  private repairTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.repairTimer = setInterval(() => void this.repair(), 1_000);
    this.repairTimer.unref();
    void this.ensureWarm().catch(() => undefined);
  }

  stop(): void {
    clearInterval(this.repairTimer);
  }

  /** The revocation and member state of one token: one Redis round trip in the common case. */
  async lookup(jti: string, memberId: string): Promise<AuthLookup> {
    let values: Array<string | null>;
    try {
      values = await this.redis.mget(REVOKED(jti), AUTH(memberId), WARM);
    } catch {
      return this.lookupInPostgres(jti, memberId);
    }
    const [revoked, record, warm] = values;
    if (revoked) return { revoked: true, member: undefined };
    if (!warm) {
      void this.ensureWarm().catch(() => undefined);
      const fromPg = await this.lookupInPostgres(jti, memberId);
      if (fromPg.revoked) return fromPg;
      if (record) return { revoked: false, member: JSON.parse(record) as MemberRecord };
      return fromPg;
    }
    if (record) return { revoked: false, member: JSON.parse(record) as MemberRecord };
    return { revoked: false, member: await this.loadRecord(memberId) };
  }

  /** Member records by ids (summaries): Redis first, PostgreSQL for the misses. */
  async records(ids: readonly string[]): Promise<Map<string, MemberRecord>> {
    const result = new Map<string, MemberRecord>();
    if (ids.length === 0) return result;
    let cached: Array<string | null> = [];
    try {
      cached = await this.redis.mget(ids.map(AUTH));
    } catch {
      cached = [];
    }
    const misses: string[] = [];
    ids.forEach((id, index) => {
      const value = cached[index];
      if (value) result.set(id, JSON.parse(value) as MemberRecord);
      else misses.push(id);
    });
    if (misses.length > 0) {
      const rows = await findMembersByIds(this.pool, misses);
      const pipeline = this.redis.pipeline();
      for (const row of rows) {
        const record = recordOf(row);
        result.set(record.id, record);
        pipeline.set(AUTH(record.id), JSON.stringify(record), 'EX', RECORD_TTL_SECONDS, 'NX');
      }
      await pipeline.exec().catch(() => undefined);
    }
    return result;
  }

  /** After a committed member change: the new record replaces the cached one. */
  async memberChanged(record: MemberRecord): Promise<void> {
    try {
      await this.redis.set(AUTH(record.id), JSON.stringify(record), 'EX', RECORD_TTL_SECONDS);
    } catch (error) {
      this.log.warn({ err: error, memberId: record.id }, 'redis: member record write failed, will retry');
      this.pendingMembers.add(record.id);
      this.needsRepair = true;
    }
  }

  /** Blacklists access tokens: PostgreSQL first (survives a flush), then Redis, then the channel. */
  async revokeTokens(tokens: Array<{ jti: string; memberId: string; expiresAtMs: number }>): Promise<void> {
    const live = tokens.filter((token) => token.expiresAtMs > this.clock.now());
    if (live.length === 0) return;
    await this.pool.query(
      `INSERT INTO revoked_tokens (jti, member_id, expires_at, revoked_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::timestamptz[])
       ON CONFLICT (jti) DO NOTHING`,
      [live.map((t) => t.jti), live.map((t) => t.memberId), live.map((t) => new Date(t.expiresAtMs)), live.map(() => new Date(this.clock.now()))],
    );
    for (const token of live) {
      await this.setRevoked(token.jti, token.expiresAtMs);
      await this.publish({ jti: token.jti });
    }
  }

  /** Tells every cache (other services' resolvers) to drop the member's entries. */
  async publish(revocation: { jti?: string; memberId?: string }): Promise<void> {
    try {
      await publishRevocation(this.redis, revocation);
    } catch (error) {
      // Callers' caches run at a 500 ms TTL while their subscriber is down; ours reads Redis/PG.
      this.log.warn({ err: error }, 'redis: revocation publish failed');
    }
  }

  async isRevokedInPostgres(jti: string): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM revoked_tokens WHERE jti = $1`, [jti]);
    return rows.length > 0;
  }

  /** Copies live revocations from PostgreSQL into Redis, then marks Redis warm (one at a time). */
  ensureWarm(): Promise<void> {
    this.rehydrating ??= (async () => {
      if (await this.redis.exists(WARM)) return;
      const { rows } = await this.pool.query<{ jti: string; expires_at: Date }>(
        `SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > $1`,
        [new Date(this.clock.now())],
      );
      const pipeline = this.redis.pipeline();
      for (const row of rows) {
        const ttl = row.expires_at.getTime() - this.clock.now();
        if (ttl > 0) pipeline.set(REVOKED(row.jti), '1', 'PX', ttl);
      }
      pipeline.set(WARM, String(this.clock.now()));
      const results = await pipeline.exec();
      if (results?.some(([error]) => error)) throw new Error('redis: rehydration incomplete');
      this.log.info({ revocations: rows.length }, 'redis: revocations copied from PostgreSQL');
    })().finally(() => {
      this.rehydrating = undefined;
    });
    return this.rehydrating;
  }

  private async setRevoked(jti: string, expiresAtMs: number): Promise<void> {
    const ttl = expiresAtMs - this.clock.now();
    if (ttl <= 0) return;
    try {
      await this.redis.set(REVOKED(jti), '1', 'PX', ttl);
    } catch (error) {
      this.log.warn({ err: error, jti }, 'redis: revocation write failed, will retry');
      this.pendingJtis.set(jti, expiresAtMs);
      this.needsRepair = true;
    }
  }

  private async lookupInPostgres(jti: string, memberId: string): Promise<AuthLookup> {
    const { rows } = await this.pool.query<{ revoked: boolean }>(`SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1) AS revoked`, [jti]);
    if (rows[0]?.revoked) return { revoked: true, member: undefined };
    const row = await findMemberById(this.pool, memberId);
    return { revoked: false, member: row ? recordOf(row) : undefined };
  }

  private async loadRecord(memberId: string): Promise<MemberRecord | undefined> {
    const row = await findMemberById(this.pool, memberId);
    if (!row) return undefined;
    const record = recordOf(row);
    await this.redis.set(AUTH(memberId), JSON.stringify(record), 'EX', RECORD_TTL_SECONDS, 'NX').catch(() => undefined);
    return record;
  }

  /** Redis writes that failed during an outage: retried, and the warm marker dropped once. */
  private async repair(): Promise<void> {
    if (!this.needsRepair) return;
    try {
      await this.redis.del(WARM);
      for (const [jti, expiresAtMs] of this.pendingJtis) {
        const ttl = expiresAtMs - this.clock.now();
        if (ttl > 0) await this.redis.set(REVOKED(jti), '1', 'PX', ttl);
        this.pendingJtis.delete(jti);
      }
      for (const id of this.pendingMembers) {
        await this.redis.del(AUTH(id));
        this.pendingMembers.delete(id);
      }
      this.needsRepair = false;
      await this.ensureWarm();
    } catch {
      // still down: next second
    }
  }
}
