/** Data access of `refresh_tokens`. */
import type { Queryable } from './pool.ts';

export interface RefreshRow {
  id: string;
  member_id: string;
  chain_id: string;
  access_jti: string;
  created_at: Date;
  expires_at: Date;
  rotated_at: Date | null;
  successor_enc: Buffer | null;
  revoked_at: Date | null;
}

export async function insertRefreshToken(
  db: Queryable,
  row: { tokenHash: Buffer; memberId: string; chainId: string; accessJti: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO refresh_tokens (token_hash, member_id, chain_id, access_jti, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [row.tokenHash, row.memberId, row.chainId, row.accessJti, row.createdAt, row.expiresAt],
  );
}

/** The row of a presented token, locked: concurrent refreshes of one token run one at a time. */
export async function lockRefreshToken(db: Queryable, tokenHash: Buffer): Promise<RefreshRow | undefined> {
  const { rows } = await db.query<RefreshRow>(`SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, [tokenHash]);
  return rows[0];
}

export async function markRotated(db: Queryable, id: string, at: Date, successorEnc: Buffer): Promise<void> {
  await db.query(`UPDATE refresh_tokens SET rotated_at = $2, successor_enc = $3 WHERE id = $1`, [id, at, successorEnc]);
}

/** Revokes every token of the chains and returns the access jtis issued with them (still to blacklist). */
export async function revokeChains(db: Queryable, where: { chainId?: string; memberId?: string; accessJti?: string }, at: Date) {
  const { rows } = await db.query<{ access_jti: string; member_id: string; created_at: Date }>(
    `UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, $4)
      WHERE chain_id IN (SELECT chain_id FROM refresh_tokens
                          WHERE ($1::uuid IS NOT NULL AND chain_id = $1::uuid)
                             OR ($2::bigint IS NOT NULL AND member_id = $2::bigint)
                             OR ($3::text IS NOT NULL AND access_jti = $3::text))
      RETURNING access_jti, member_id, created_at`,
    [where.chainId ?? null, where.memberId ?? null, where.accessJti ?? null, at],
  );
  return rows;
}

export async function deleteExpiredRefreshTokens(db: Queryable, now: Date, batch = 5_000): Promise<number> {
  const result = await db.query(
    `DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)`,
    [now, batch],
  );
  return result.rowCount ?? 0;
}

export async function deleteExpiredRevocations(db: Queryable, now: Date, batch = 5_000): Promise<number> {
  const result = await db.query(
    `DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens WHERE expires_at < $1 LIMIT $2)`,
    [now, batch],
  );
  return result.rowCount ?? 0;
}
