/** Data access of `members`. */
import { MEMBER_COLUMNS, type MemberRow } from '../members/member-mapper.ts';
import type { Queryable } from './pool.ts';

export interface NewMember {
  email: string;
  handle: string;
  passwordHash: string;
  memberName: string;
  displayName: string;
  bio?: string | null | undefined;
  location?: string | null | undefined;
  websiteUrl?: string | null | undefined;
  birthDate?: string | null | undefined;
  gender?: string | null | undefined;
  languageCode?: string | null | undefined;
  countryCode?: string | null | undefined;
  timezone?: string | null | undefined;
}

export async function insertMember(db: Queryable, m: NewMember): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO members (email, handle, password_hash, member_name, display_name, bio, location, website_url, birth_date,
                          gender, language_code, country_code, timezone)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    [m.email, m.handle, m.passwordHash, m.memberName, m.displayName, m.bio ?? null, m.location ?? null, m.websiteUrl ?? null,
      m.birthDate ?? null, m.gender ?? null, m.languageCode ?? null, m.countryCode ?? null, m.timezone ?? null],
  );
  return rows[0]!.id;
}

export async function findMemberById(db: Queryable, id: string): Promise<MemberRow | undefined> {
  const { rows } = await db.query<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE id = $1`, [id]);
  return rows[0];
}

export async function findActiveMemberByHandle(db: Queryable, handle: string): Promise<MemberRow | undefined> {
  const { rows } = await db.query<MemberRow>(
    `SELECT ${MEMBER_COLUMNS} FROM members WHERE lower(handle) = lower($1) AND deactivated_at IS NULL`,
    [handle],
  );
  return rows[0];
}

export async function findCredentialsByEmail(
  db: Queryable,
  email: string,
): Promise<(MemberRow & { password_hash: string }) | undefined> {
  const { rows } = await db.query<MemberRow & { password_hash: string }>(
    `SELECT ${MEMBER_COLUMNS}, password_hash FROM members WHERE lower(email) = lower($1)`,
    [email],
  );
  return rows[0];
}

export async function findMembersByIds(db: Queryable, ids: readonly string[]): Promise<MemberRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE id = ANY($1::bigint[])`, [ids]);
  return rows;
}

/** Columns a profile update may set: API field -> column. */
export const UPDATABLE_COLUMNS = {
  memberName: 'member_name',
  displayName: 'display_name',
  bio: 'bio',
  location: 'location',
  websiteUrl: 'website_url',
  birthDate: 'birth_date',
  gender: 'gender',
  languageCode: 'language_code',
  countryCode: 'country_code',
  timezone: 'timezone',
  privacyLevel: 'privacy_level',
  avatarImageId: 'avatar_image_id',
  handle: 'handle',
} as const;

export async function updateMember(
  db: Queryable,
  id: string,
  changes: Partial<Record<keyof typeof UPDATABLE_COLUMNS, string | null>>,
): Promise<MemberRow | undefined> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [field, column] of Object.entries(UPDATABLE_COLUMNS)) {
    const value = changes[field as keyof typeof UPDATABLE_COLUMNS];
    if (value === undefined) continue;
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  }
  sets.push('updated_at = now()');
  const { rows } = await db.query<MemberRow>(
    `UPDATE members SET ${sets.join(', ')} WHERE id = $1 AND deactivated_at IS NULL RETURNING ${MEMBER_COLUMNS}`,
    values,
  );
  return rows[0];
}

/** logout-all: every access token issued before now dies (tokens carry the generation). */
export async function bumpTokenGeneration(db: Queryable, id: string, deactivate: boolean): Promise<MemberRow | undefined> {
  const { rows } = await db.query<MemberRow>(
    `UPDATE members SET token_generation = token_generation + 1,
            deactivated_at = CASE WHEN $2 THEN coalesce(deactivated_at, now()) ELSE deactivated_at END,
            updated_at = now()
      WHERE id = $1 RETURNING ${MEMBER_COLUMNS}`,
    [id, deactivate],
  );
  return rows[0];
}

export async function isFollowing(db: Queryable, followerId: string, followeeId: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2`, [followerId, followeeId]);
  return rows.length > 0;
}
