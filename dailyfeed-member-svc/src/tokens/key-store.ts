/**
 * Signing keys (ES256). Stored in PostgreSQL, the private key sealed with JWT_KEK; every replica
 * keeps the usable keys in memory, re-reads them periodically, on a `keys changed` message and
 * (at most once a second) when it meets a token with an unknown kid.
 *
 * Lifecycle: active (signs new tokens) -> retiring (still verifies until every token it signed
 * has expired; answers flag refreshNeeded) -> retired (private key wiped, gone from the JWKS).
 * A rotation makes a new key active and the old one retiring until now + max token lifetime +
 * the reload interval (a replica that has not reloaded yet may still sign with it).
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';
import type pg from 'pg';
import { withAdvisoryLock } from '../../dailyfeed-shared/src/jobs/job-runner.ts';
import type { Clock } from '../support/clock.ts';
import type { SecretBox } from '../support/crypto.ts';

export const SIGNING_ALG = 'ES256';

export type KeyStatus = 'active' | 'retiring' | 'retired';

export interface LoadedKey {
  kid: string;
  status: KeyStatus;
  publicKey: CryptoKey;
  publicJwk: JWK;
  createdAt: number;
  retireAfter: number | null;
}

interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  private_key_enc: Buffer | null;
  status: KeyStatus;
  created_at: Date;
  retire_after: Date | null;
}

export interface KeyStoreOptions {
  pool: pg.Pool;
  box: SecretBox;
  clock: Clock;
  rotationIntervalMs: number;
  /** Longest access-token lifetime: a retiring key verifies at least this long. */
  maxTokenLifetimeMs: number;
  reloadIntervalMs: number;
  onChanged?: () => void;
}

export class KeyStore {
  private keys = new Map<string, LoadedKey>();
  private signing: { kid: string; privateKey: CryptoKey } | undefined;
  private reloading: Promise<void> | undefined;
  private lastUnknownKidReload = 0;

  constructor(private readonly options: KeyStoreOptions) {}

  /** Start-up: the first key is created exactly once even when replicas start together. */
  async init(): Promise<void> {
    await withAdvisoryLock(this.options.pool, 'member.signing-keys', async () => {
      const { rows } = await this.options.pool.query(`SELECT 1 FROM signing_keys WHERE status = 'active'`);
      if (rows.length === 0) await this.insertActiveKey();
    });
    await this.reload();
  }

  get activeKid(): string | undefined {
    return this.signing?.kid;
  }

  signingKey(): { kid: string; privateKey: CryptoKey } {
    if (!this.signing) throw new Error('no active signing key loaded');
    return this.signing;
  }

  /** The key of a kid, reloading once (rate-limited) before saying it does not exist. */
  async verificationKey(kid: string): Promise<LoadedKey | undefined> {
    const known = this.keys.get(kid);
    if (known) return known;
    const now = Date.now();
    if (now - this.lastUnknownKidReload >= 1_000) {
      this.lastUnknownKidReload = now;
      await this.reload();
    } else if (this.reloading) {
      await this.reloading;
    }
    return this.keys.get(kid);
  }

  knownKey(kid: string): LoadedKey | undefined {
    return this.keys.get(kid);
  }

  /** Public keys of active and retiring keys (JWKS). */
  jwks(): { keys: JWK[] } {
    return {
      keys: [...this.keys.values()]
        .filter((key) => key.status !== 'retired')
        .map((key) => ({ ...key.publicJwk, kid: key.kid, alg: SIGNING_ALG, use: 'sig' })),
    };
  }

  /** Re-reads the key table; concurrent callers share one read. */
  reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /**
   * The rotation job (one replica at a time through the job runner): rotates the active key
   * when it is older than the interval (or when forced), retires keys whose tokens have all
   * expired. Returns what it did.
   */
  async rotate(options: { force?: boolean } = {}): Promise<{ rotated: boolean; retired: string[] }> {
    const { pool, clock, rotationIntervalMs } = this.options;
    const now = clock.now();
    let rotated = false;
    const retired: string[] = [];
    await withAdvisoryLock(pool, 'member.signing-keys', async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const expired = await client.query<{ kid: string }>(
          `UPDATE signing_keys SET status = 'retired', private_key_enc = NULL
            WHERE status = 'retiring' AND retire_after <= $1 RETURNING kid`,
          [new Date(now)],
        );
        retired.push(...expired.rows.map((row) => row.kid));
        const active = await client.query<{ kid: string; created_at: Date }>(`SELECT kid, created_at FROM signing_keys WHERE status = 'active' FOR UPDATE`);
        const current = active.rows[0];
        if (options.force || !current || now - current.created_at.getTime() >= rotationIntervalMs) {
          if (current) {
            await client.query(
              `UPDATE signing_keys SET status = 'retiring', retiring_at = $2, retire_after = $3 WHERE kid = $1`,
              [current.kid, new Date(now), new Date(now + this.options.maxTokenLifetimeMs + this.options.reloadIntervalMs)],
            );
          }
          await this.insertActiveKey(client);
          rotated = true;
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
    if (rotated || retired.length > 0) {
      await this.reload();
      this.options.onChanged?.();
    }
    return { rotated, retired };
  }

  private async insertActiveKey(client: Pick<pg.Pool, 'query'> = this.options.pool): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const kid = `${new Date(this.options.clock.now()).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(6).toString('hex')}`;
    const pkcs8 = await exportPKCS8(privateKey);
    const sealed = this.options.box.seal('signing-key', Buffer.from(pkcs8), kid);
    await client.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, status, created_at)
       VALUES ($1, $2, $3, $4, 'active', $5)
       ON CONFLICT DO NOTHING`,
      [kid, SIGNING_ALG, JSON.stringify(await exportJWK(publicKey)), sealed, new Date(this.options.clock.now())],
    );
  }

  private async load(): Promise<void> {
    const { rows } = await this.options.pool.query<KeyRow>(
      `SELECT kid, alg, public_jwk, private_key_enc, status, created_at, retire_after FROM signing_keys WHERE status <> 'retired'`,
    );
    const next = new Map<string, LoadedKey>();
    let signing: { kid: string; privateKey: CryptoKey } | undefined;
    for (const row of rows) {
      const publicKey = (await importJWK(row.public_jwk, SIGNING_ALG)) as CryptoKey;
      next.set(row.kid, {
        kid: row.kid,
        status: row.status,
        publicKey,
        publicJwk: row.public_jwk,
        createdAt: row.created_at.getTime(),
        retireAfter: row.retire_after?.getTime() ?? null,
      });
      if (row.status === 'active' && row.private_key_enc) {
        let pem: string;
        try {
          pem = this.options.box.open('signing-key', row.private_key_enc, row.kid).toString();
        } catch {
          throw new Error(`signing key ${row.kid} cannot be decrypted with JWT_KEK (was the key-encryption key changed?)`);
        }
        signing = { kid: row.kid, privateKey: await importPKCS8(pem, SIGNING_ALG) };
      }
    }
    this.keys = next;
    if (signing) this.signing = signing;
  }
}
