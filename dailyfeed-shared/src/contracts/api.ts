/**
 * TypeBox schemas of every public shape in api.md. Services use them for route
 * request/response schemas, so validation, TypeScript types and OpenAPI come from one source.
 */
import { Type, type Static, type TSchema } from 'typebox';

/** 64-bit ids travel as decimal strings (JavaScript numbers lose precision past 2^53). */
export const Id = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'decimal id', examples: ['1234'] });
export const IsoTime = Type.String({ format: 'date-time', description: 'ISO-8601 UTC with milliseconds' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const IdParams = (name: string) => Type.Object({ [name]: Id });

// ---------- member ----------
export const Summary = Type.Object({
  id: Id,
  handle: Type.String(),
  displayName: Type.String(),
  avatarUrl: Nullable(Type.String()),
  verified: Type.Boolean(),
});
export type Summary = Static<typeof Summary>;

export const PrivacyLevel = Type.Union([Type.Literal('PUBLIC'), Type.Literal('FOLLOWERS'), Type.Literal('PRIVATE')]);

export const Profile = Type.Object({
  ...Summary.properties,
  memberName: Type.String(),
  bio: Nullable(Type.String()),
  location: Nullable(Type.String()),
  websiteUrl: Nullable(Type.String()),
  birthDate: Nullable(Type.String({ format: 'date' })),
  gender: Nullable(Type.String()),
  languageCode: Nullable(Type.String()),
  countryCode: Nullable(Type.String()),
  timezone: Nullable(Type.String()),
  privacyLevel: PrivacyLevel,
  avatarImageId: Nullable(Id),
  followersCount: Type.Integer(),
  followingsCount: Type.Integer(),
  following: Type.Boolean(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type Profile = Static<typeof Profile>;

// ---------- content ----------
export const Post = Type.Object({
  id: Id,
  title: Nullable(Type.String()),
  content: Type.String(),
  author: Summary,
  imageIds: Type.Array(Id),
  imageUrls: Type.Array(Type.String()),
  viewCount: Type.Integer(),
  likeCount: Type.Integer(),
  commentCount: Type.Integer(),
  liked: Type.Boolean(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type Post = Static<typeof Post>;

export const Comment = Type.Object({
  id: Id,
  postId: Id,
  parentId: Nullable(Id),
  depth: Type.Integer({ minimum: 0, maximum: 2 }),
  content: Type.String(),
  author: Summary,
  likeCount: Type.Integer(),
  replyCount: Type.Integer(),
  liked: Type.Boolean(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type Comment = Static<typeof Comment>;

export const PostStatistics = Type.Object({
  viewCount: Type.Integer(),
  likeCount: Type.Integer(),
  commentCount: Type.Integer(),
});

// ---------- image ----------
export const ImageVariant = Type.Union([Type.Literal('thumbnail'), Type.Literal('medium'), Type.Literal('large')]);
export const UploadedImage = Type.Object({
  id: Id,
  contentType: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  urls: Type.Object({ thumbnail: Type.String(), medium: Type.String(), large: Type.String() }),
});

// ---------- activity ----------
export const Activity = Type.Object({
  id: Id,
  memberId: Id,
  type: Type.String(),
  postId: Nullable(Id),
  commentId: Nullable(Id),
  targetMemberId: Nullable(Id),
  createdAt: IsoTime,
});
export type Activity = Static<typeof Activity>;

// ---------- search ----------
export const Highlight = Type.Record(Type.String(), Type.String(), {
  description: 'field -> snippet with matches wrapped in <em></em>',
});
