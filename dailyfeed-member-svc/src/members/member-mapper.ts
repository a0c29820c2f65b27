/** Rows of `members` -> the api.md shapes (Summary, Profile) and the cached auth record. */
import type { Profile, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';

export const MEMBER_COLUMNS = `id, email, handle, member_name, display_name, bio, location, website_url, birth_date, gender,
  language_code, country_code, timezone, privacy_level, avatar_image_id, verified, followers_count, followings_count,
  token_generation, deactivated_at, created_at, updated_at`;

export interface MemberRow {
  id: string;
  email: string;
  handle: string;
  member_name: string;
  display_name: string;
  bio: string | null;
  location: string | null;
  website_url: string | null;
  birth_date: string | null;
  gender: string | null;
  language_code: string | null;
  country_code: string | null;
  timezone: string | null;
  privacy_level: 'PUBLIC' | 'FOLLOWERS' | 'PRIVATE';
  avatar_image_id: string | null;
  verified: boolean;
  followers_count: number;
  followings_count: number;
  token_generation: number;
  deactivated_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** What the resolve path and summaries need, cached in Redis per member. */
export interface MemberRecord {
  id: string;
  handle: string;
  displayName: string;
  avatarImageId: string | null;
  verified: boolean;
  gen: number;
  active: boolean;
}

/** A deactivated member keeps its posts; they show this placeholder author. */
export const DELETED_PLACEHOLDER = 'deleted';

export const avatarUrlOf = (imageId: string | null): string | null =>
  imageId === null ? null : `/api/images/view/${imageId}?variant=thumbnail`;

export const recordOf = (row: MemberRow): MemberRecord => ({
  id: row.id,
  handle: row.handle,
  displayName: row.display_name,
  avatarImageId: row.avatar_image_id,
  verified: row.verified,
  gen: row.token_generation,
  active: row.deactivated_at === null,
});

export const summaryOfRecord = (record: MemberRecord): Summary =>
  record.active
    ? { id: record.id, handle: record.handle, displayName: record.displayName, avatarUrl: avatarUrlOf(record.avatarImageId), verified: record.verified }
    : { id: record.id, handle: DELETED_PLACEHOLDER, displayName: DELETED_PLACEHOLDER, avatarUrl: null, verified: false };

export const summaryOf = (row: MemberRow): Summary => summaryOfRecord(recordOf(row));

export const profileOf = (row: MemberRow, following: boolean): Profile => ({
  ...summaryOf(row),
  memberName: row.member_name,
  bio: row.bio,
  location: row.location,
  websiteUrl: row.website_url,
  birthDate: row.birth_date,
  gender: row.gender,
  languageCode: row.language_code,
  countryCode: row.country_code,
  timezone: row.timezone,
  privacyLevel: row.privacy_level,
  avatarImageId: row.avatar_image_id,
  followersCount: row.followers_count,
  followingsCount: row.followings_count,
  following,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});
