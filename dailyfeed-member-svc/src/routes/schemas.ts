/** Request/response schemas of member-svc's public routes (api.md §2). */
import { Type, type Static, type TSchema } from 'typebox';
import { PrivacyLevel, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const HANDLE_PATTERN = '^[a-zA-Z0-9_]{3,50}$';
/** 8-64 characters with a lower-case letter, an upper-case letter, a digit and a symbol. */
export const PASSWORD_PATTERN = '^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])(?=.*[^A-Za-z0-9]).{8,64}$';

export const Handle = Type.String({ pattern: HANDLE_PATTERN, minLength: 3, maxLength: 50 });
const Bio = Type.String({ maxLength: 500 });
const Location = Type.String({ maxLength: 100 });
const WebsiteUrl = Type.String({ maxLength: 200, pattern: '^https?://[^\\s]+$' });
const BirthDate = Type.String({ format: 'date', description: 'yyyy-mm-dd, in the past' });
const Gender = Type.String({ minLength: 1, maxLength: 20 });
const LanguageCode = Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$', maxLength: 10 });
const CountryCode = Type.String({ pattern: '^[A-Za-z]{2}$' });
const Timezone = Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, e.g. Asia/Seoul' });
const MemberName = Type.String({ minLength: 2, maxLength: 30 });
const DisplayName = Type.String({ minLength: 1, maxLength: 50 });

export const SignupBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 100 }),
  password: Type.String({ minLength: 8, maxLength: 64, pattern: PASSWORD_PATTERN }),
  memberName: MemberName,
  handle: Handle,
  displayName: Type.Optional(DisplayName),
  bio: Type.Optional(Bio),
  location: Type.Optional(Location),
  websiteUrl: Type.Optional(WebsiteUrl),
  birthDate: Type.Optional(BirthDate),
  gender: Type.Optional(Gender),
  languageCode: Type.Optional(LanguageCode),
  countryCode: Type.Optional(CountryCode),
  timezone: Type.Optional(Timezone),
});
export type SignupBody = Static<typeof SignupBody>;

export const LoginBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 200 }),
  password: Type.String({ minLength: 1, maxLength: 200 }),
  /** Clients without cookies (mobile, CLI) also get the refresh token in the body. */
  includeRefreshToken: Type.Optional(Type.Boolean()),
});

export const LoginResponse = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer({ description: 'seconds' }),
  member: Summary,
  refreshToken: Type.Optional(Type.String()),
});

export const RefreshResponse = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer(),
  refreshToken: Type.Optional(Type.String({ description: 'only when the token came in the body' })),
});

export const UpdateProfileBody = Type.Object({
  memberName: Type.Optional(MemberName),
  displayName: Type.Optional(DisplayName),
  bio: Type.Optional(Nullable(Bio)),
  location: Type.Optional(Nullable(Location)),
  websiteUrl: Type.Optional(Nullable(WebsiteUrl)),
  birthDate: Type.Optional(Nullable(BirthDate)),
  gender: Type.Optional(Nullable(Gender)),
  languageCode: Type.Optional(Nullable(LanguageCode)),
  countryCode: Type.Optional(Nullable(CountryCode)),
  timezone: Type.Optional(Nullable(Timezone)),
  privacyLevel: Type.Optional(PrivacyLevel),
  avatarImageId: Type.Optional(Nullable(Type.String({ pattern: '^[1-9][0-9]{0,18}$' }))),
});
export type UpdateProfileBody = Static<typeof UpdateProfileBody>;

export const ChangeHandleBody = Type.Object({ newHandle: Handle });

export const Created = Type.Object({ id: Type.String() });
export const Empty = Type.Object({});
