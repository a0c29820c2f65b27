/**
 * member-svc's internal API (service-to-service only; the gateway never routes `/internal`).
 * Owned by member-svc; other services import these schemas for their clients and fakes.
 *
 * | method & path | request | data of the success envelope |
 * |---|---|---|
 * | GET  /internal/auth/resolve                       | Authorization: Bearer <access token> | ResolveResponse (401 INVALID_TOKEN / TOKEN_EXPIRED / TOKEN_REVOKED / MEMBER_NOT_FOUND, with X-Relogin-Required: true) |
 * | POST /internal/members/summaries                  | SummariesRequest `{ids}` (<= 1000)   | Summary[] in the order asked; unknown ids left out; deactivated members as handle/displayName "deleted" |
 * | GET  /internal/members/{memberId}/followings      | IdPageQuery `?cursor&size` (<= 1000) | IdPage: ids of the members followed, newest follow first |
 * | GET  /internal/members/{memberId}/followers       | IdPageQuery                          | IdPage: ids of the followers, newest follow first |
 * | GET  /internal/members/{memberId}/followings/ids  | -                                    | FollowingIds `{ids}`: every followed id (<= 1000 by the follow limit) |
 */
import { Type, type Static } from 'typebox';
import { Id, IsoTime, Summary } from '../api.ts';

export const MEMBER_INTERNAL_PATHS = {
  resolve: '/internal/auth/resolve',
  summaries: '/internal/members/summaries',
  followings: (memberId: string) => `/internal/members/${memberId}/followings`,
  followers: (memberId: string) => `/internal/members/${memberId}/followers`,
  followingIds: (memberId: string) => `/internal/members/${memberId}/followings/ids`,
} as const;

export const MAX_SUMMARY_IDS = 1000;
export const MAX_ID_PAGE_SIZE = 1000;

export const ResolveResponse = Type.Object({
  member: Summary,
  /** the access token's jti: the key of callers' caches and of revocation messages */
  tokenId: Type.String(),
  expiresAt: IsoTime,
  /** signed with a key being rotated out: pass `X-Token-Refresh-Needed: true` on */
  refreshNeeded: Type.Boolean(),
});
export type ResolveResponse = Static<typeof ResolveResponse>;

export const SummariesRequest = Type.Object({
  ids: Type.Array(Id, { maxItems: MAX_SUMMARY_IDS }),
});
export type SummariesRequest = Static<typeof SummariesRequest>;

export const SummariesResponse = Type.Array(Summary);
export type SummariesResponse = Static<typeof SummariesResponse>;

export const IdPageQuery = Type.Object({
  size: Type.Optional(Type.Integer({ minimum: 1, description: `default 100; values above ${MAX_ID_PAGE_SIZE} are clamped` })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});
export type IdPageQuery = Static<typeof IdPageQuery>;

export const IdPage = Type.Object({
  content: Type.Array(Id),
  size: Type.Integer(),
  hasNext: Type.Boolean(),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type IdPage = Static<typeof IdPage>;

export const FollowingIds = Type.Object({ ids: Type.Array(Id) });
export type FollowingIds = Static<typeof FollowingIds>;
