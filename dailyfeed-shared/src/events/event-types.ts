/**
 * The member-activity event of events.md: types, the record value schema, the
 * messageKey and record key, and the value codec.
 */
import { randomBytes } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { EventDecodeError, InvalidEventError } from './errors.ts';
import { pad, zonedParts } from './zoned-time.ts';

export const ACTIVITY_EVENT_TYPES = [
  'POST_CREATE',
  'POST_UPDATE',
  'POST_DELETE',
  'POST_READ',
  'COMMENT_CREATE',
  'COMMENT_UPDATE',
  'COMMENT_DELETE',
  'COMMENT_READ',
  'LIKE_POST',
  'LIKE_POST_CANCEL',
  'LIKE_COMMENT',
  'LIKE_COMMENT_CANCEL',
  'MEMBER_FOLLOW',
  'MEMBER_UNFOLLOW',
] as const;
export type ActivityEventType = (typeof ACTIVITY_EVENT_TYPES)[number];

export const EVENT_VERSION = 1;

/** The entity whose id a type's messageKey and record key carry. */
type Subject = 'post' | 'comment' | 'targetMember';
interface TypeRule {
  subject: Subject;
  /** Whether the messageKey ends with a timestamp (one record per occurrence). */
  timestamped: boolean;
}
const RULES: Record<ActivityEventType, TypeRule> = {
  POST_CREATE: { subject: 'post', timestamped: false },
  POST_UPDATE: { subject: 'post', timestamped: true },
  POST_DELETE: { subject: 'post', timestamped: true },
  POST_READ: { subject: 'post', timestamped: true },
  COMMENT_CREATE: { subject: 'comment', timestamped: false },
  COMMENT_UPDATE: { subject: 'comment', timestamped: true },
  COMMENT_DELETE: { subject: 'comment', timestamped: true },
  COMMENT_READ: { subject: 'comment', timestamped: true },
  LIKE_POST: { subject: 'post', timestamped: false },
  LIKE_POST_CANCEL: { subject: 'post', timestamped: false },
  LIKE_COMMENT: { subject: 'comment', timestamped: false },
  LIKE_COMMENT_CANCEL: { subject: 'comment', timestamped: false },
  MEMBER_FOLLOW: { subject: 'targetMember', timestamped: true },
  MEMBER_UNFOLLOW: { subject: 'targetMember', timestamped: true },
};

const DECIMAL_ID = '^(0|[1-9][0-9]{0,19})$';
const ISO_UTC_MS = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';

const Id = Type.String({ pattern: DECIMAL_ID });
const NullableId = Type.Union([Id, Type.Null()]);

/** The record value (JSON). Unknown extra properties are tolerated on read and dropped. */
export const ActivityEventSchema = Type.Object({
  version: Type.Literal(EVENT_VERSION),
  eventId: Type.String({ minLength: 1, maxLength: 64 }),
  messageKey: Type.String({ minLength: 1, maxLength: 512 }),
  type: Type.Enum(ACTIVITY_EVENT_TYPES),
  memberId: Id,
  postId: NullableId,
  commentId: NullableId,
  targetMemberId: NullableId,
  occurredAt: Type.String({ pattern: ISO_UTC_MS }),
});
export type ActivityEvent = Static<typeof ActivityEventSchema>;

export type IdInput = string | bigint | number;

export interface CreateActivityEventInput {
  type: ActivityEventType;
  memberId: IdInput;
  postId?: IdInput | null;
  commentId?: IdInput | null;
  targetMemberId?: IdInput | null;
  /** The time of the occurrence; defaults to the current time. */
  now?: Date;
  /** The topic time zone (DAILYFEED_TOPIC_TIMEZONE), used by the messageKey timestamp. */
  timeZone: string;
}

const ID_PATTERN = new RegExp(DECIMAL_ID);

function normalizeId(name: string, value: IdInput | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new InvalidEventError(`${name} must be a safe integer, got ${value}`);
  }
  const text = String(value);
  if (!ID_PATTERN.test(text)) throw new InvalidEventError(`${name} must be a decimal id, got ${JSON.stringify(text)}`);
  return text;
}

const subjectIdOf = (event: Pick<ActivityEvent, 'postId' | 'commentId' | 'targetMemberId'>, subject: Subject) =>
  subject === 'post' ? event.postId : subject === 'comment' ? event.commentId : event.targetMemberId;
const subjectField = (subject: Subject) => (subject === 'targetMember' ? 'targetMemberId' : `${subject}Id`);

// ---------------------------------------------------------------------------------------------
// Timestamps of the messageKey: `yyyy-MM-dd HH:mm:ss.SSSSSSSSS` in the topic zone.
// ---------------------------------------------------------------------------------------------

/** Last sub-millisecond value used per epoch millisecond (the most recent few hundred). */
const lastSubByMillis = new Map<number, number>();

/**
 * The last six of the nine fraction digits. The first event of a millisecond takes them from
 * process.hrtime; any later event of the same millisecond (in this process) takes the previous
 * value plus one, so up to a million events of one millisecond never share a timestamp.
 */
function subMillisecondDigits(epochMillis: number): number {
  const last = lastSubByMillis.get(epochMillis);
  const sub = last === undefined ? Number(process.hrtime.bigint() % 1_000_000n) : (last + 1) % 1_000_000;
  lastSubByMillis.delete(epochMillis);
  lastSubByMillis.set(epochMillis, sub);
  if (lastSubByMillis.size > 256) {
    const oldest = lastSubByMillis.keys().next().value;
    if (oldest !== undefined) lastSubByMillis.delete(oldest);
  }
  return sub;
}

export function formatKeyTimestamp(date: Date, timeZone: string, subMillis = subMillisecondDigits(date.getTime())): string {
  const p = zonedParts(date, timeZone);
  return (
    `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)} ` +
    `${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}.${pad(p.millisecond, 3)}${pad(subMillis, 6)}`
  );
}

// ---------------------------------------------------------------------------------------------
// eventId: UUID v7 (48-bit Unix milliseconds, then random bits): unique and time-sortable.
// ---------------------------------------------------------------------------------------------

export function uuidv7(now: Date = new Date()): string {
  const bytes = randomBytes(16);
  const millis = BigInt(Math.max(0, now.getTime()));
  for (let i = 0; i < 6; i++) bytes[i] = Number((millis >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------------------------------------
// Building, keying, encoding, decoding.
// ---------------------------------------------------------------------------------------------

export function messageKeyOf(
  type: ActivityEventType,
  ids: { memberId: string; subjectId: string },
  timestamp: () => string,
): string {
  const base = `member_activity:kafka_event:${type}###${ids.subjectId}###${ids.memberId}`;
  return RULES[type].timestamped ? `${base}###${timestamp()}` : base;
}

/** Builds an event with a new eventId, its messageKey (events.md table) and occurredAt. */
export function createActivityEvent(input: CreateActivityEventInput): ActivityEvent {
  const rule = RULES[input.type];
  if (!rule) throw new InvalidEventError(`unknown event type ${JSON.stringify(input.type)}`);
  const now = input.now ?? new Date();
  if (!Number.isFinite(now.getTime())) throw new InvalidEventError('now is an invalid date');
  const memberId = normalizeId('memberId', input.memberId);
  if (memberId === null) throw new InvalidEventError('memberId is required');
  const ids = {
    postId: normalizeId('postId', input.postId),
    commentId: normalizeId('commentId', input.commentId),
    targetMemberId: normalizeId('targetMemberId', input.targetMemberId),
  };
  const subjectId = subjectIdOf(ids, rule.subject);
  if (subjectId === null) throw new InvalidEventError(`${input.type} requires ${subjectField(rule.subject)}`);
  return {
    version: EVENT_VERSION,
    eventId: uuidv7(now),
    messageKey: messageKeyOf(input.type, { memberId, subjectId }, () => formatKeyTimestamp(now, input.timeZone)),
    type: input.type,
    memberId,
    ...ids,
    occurredAt: now.toISOString(),
  };
}

/**
 * The Kafka record key: the entity whose events must stay in order on one partition.
 * - POST_*, LIKE_POST*          -> `post:{postId}`
 * - COMMENT_*, LIKE_COMMENT*    -> `comment:{commentId}`
 * - MEMBER_FOLLOW / _UNFOLLOW   -> `member:{memberId}` (the follower: one member's follow and
 *   unfollow of the same target stay in order, and a popular target is no hot partition)
 */
export function recordKeyOf(event: Pick<ActivityEvent, 'type' | 'memberId' | 'postId' | 'commentId' | 'targetMemberId'>): string {
  const subject = RULES[event.type].subject;
  if (subject === 'targetMember') return `member:${event.memberId}`;
  const id = subjectIdOf(event, subject);
  if (id === null) throw new InvalidEventError(`${event.type} requires ${subjectField(subject)}`);
  return `${subject}:${id}`;
}

/** JSON of exactly the contract's fields, in the contract's order. */
export function encodeEventValue(event: ActivityEvent): string {
  const value: ActivityEvent = {
    version: event.version,
    eventId: event.eventId,
    messageKey: event.messageKey,
    type: event.type,
    memberId: event.memberId,
    postId: event.postId,
    commentId: event.commentId,
    targetMemberId: event.targetMemberId,
    occurredAt: event.occurredAt,
  };
  return JSON.stringify(value);
}

/** Parses and validates a record value; throws EventDecodeError for anything but a valid v1 event. */
export function decodeEventValue(value: Buffer | Uint8Array | string | null | undefined): ActivityEvent {
  if (value === null || value === undefined) throw new EventDecodeError('record has no value');
  const text = typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EventDecodeError(`record value is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EventDecodeError('record value is not a JSON object');
  }
  const version = (parsed as { version?: unknown }).version;
  if (version !== EVENT_VERSION) throw new EventDecodeError(`unknown event version ${JSON.stringify(version)}`);
  if (!Value.Check(ActivityEventSchema, parsed)) {
    const problems = [...Value.Errors(ActivityEventSchema, parsed)]
      .slice(0, 5)
      .map((error) => `${error.instancePath || '/'} ${error.message}`);
    throw new EventDecodeError(`record value does not match the event schema: ${problems.join('; ')}`);
  }
  const event = parsed as ActivityEvent;
  const subject = RULES[event.type].subject;
  if (subjectIdOf(event, subject) === null) {
    throw new EventDecodeError(`${event.type} event without ${subjectField(subject)}`);
  }
  // Drop unknown extra properties: the application sees exactly the contract.
  return JSON.parse(encodeEventValue(event)) as ActivityEvent;
}
