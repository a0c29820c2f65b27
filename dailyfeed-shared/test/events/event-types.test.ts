import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_EVENT_TYPES,
  EventDecodeError,
  InvalidEventError,
  createActivityEvent,
  decodeEventValue,
  encodeEventValue,
  recordKeyOf,
  type ActivityEventType,
} from '../../src/events/index.ts';

const timeZone = 'Asia/Seoul';
// 2026-02-12 15:04:05.123 UTC is 2026-02-13 00:04:05.123 in Seoul: the key must use Seoul's.
const now = new Date('2026-02-12T15:04:05.123Z');
const ids = { memberId: '7', postId: '100', commentId: '200', targetMemberId: '9' };
const TS = '2026-02-13 00:04:05\\.123\\d{6}';

const expected: Record<ActivityEventType, { key: RegExp; record: string }> = {
  POST_CREATE: { key: /^member_activity:kafka_event:POST_CREATE###100###7$/, record: 'post:100' },
  POST_UPDATE: { key: new RegExp(`^member_activity:kafka_event:POST_UPDATE###100###7###${TS}$`), record: 'post:100' },
  POST_DELETE: { key: new RegExp(`^member_activity:kafka_event:POST_DELETE###100###7###${TS}$`), record: 'post:100' },
  POST_READ: { key: new RegExp(`^member_activity:kafka_event:POST_READ###100###7###${TS}$`), record: 'post:100' },
  COMMENT_CREATE: { key: /^member_activity:kafka_event:COMMENT_CREATE###200###7$/, record: 'comment:200' },
  COMMENT_UPDATE: { key: new RegExp(`^member_activity:kafka_event:COMMENT_UPDATE###200###7###${TS}$`), record: 'comment:200' },
  COMMENT_DELETE: { key: new RegExp(`^member_activity:kafka_event:COMMENT_DELETE###200###7###${TS}$`), record: 'comment:200' },
  COMMENT_READ: { key: new RegExp(`^member_activity:kafka_event:COMMENT_READ###200###7###${TS}$`), record: 'comment:200' },
  LIKE_POST: { key: /^member_activity:kafka_event:LIKE_POST###100###7$/, record: 'post:100' },
  LIKE_POST_CANCEL: { key: /^member_activity:kafka_event:LIKE_POST_CANCEL###100###7$/, record: 'post:100' },
  LIKE_COMMENT: { key: /^member_activity:kafka_event:LIKE_COMMENT###200###7$/, record: 'comment:200' },
  LIKE_COMMENT_CANCEL: { key: /^member_activity:kafka_event:LIKE_COMMENT_CANCEL###200###7$/, record: 'comment:200' },
  MEMBER_FOLLOW: { key: new RegExp(`^member_activity:kafka_event:MEMBER_FOLLOW###9###7###${TS}$`), record: 'member:7' },
  MEMBER_UNFOLLOW: { key: new RegExp(`^member_activity:kafka_event:MEMBER_UNFOLLOW###9###7###${TS}$`), record: 'member:7' },
};

describe('createActivityEvent', () => {
  it.each(ACTIVITY_EVENT_TYPES)('%s: messageKey per events.md, record key, value fields', (type) => {
    const event = createActivityEvent({ type, ...ids, now, timeZone });
    expect(event.messageKey).toMatch(expected[type].key);
    expect(recordKeyOf(event)).toBe(expected[type].record);
    expect(event).toMatchObject({ version: 1, type, memberId: '7', postId: '100', commentId: '200', targetMemberId: '9', occurredAt: '2026-02-12T15:04:05.123Z' });
    expect(event.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('covers every type of events.md', () => {
    expect(Object.keys(expected).sort()).toEqual([...ACTIVITY_EVENT_TYPES].sort());
  });

  it('gives two events of the same millisecond different messageKeys and eventIds', () => {
    const events = Array.from({ length: 2000 }, () => createActivityEvent({ type: 'POST_READ', memberId: 1, postId: 2, now, timeZone }));
    expect(new Set(events.map((e) => e.messageKey)).size).toBe(events.length);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.every((e) => e.messageKey.slice(-9).startsWith('123'))).toBe(true);
  });

  it('takes the sub-millisecond digits from the high-resolution clock for a new millisecond', () => {
    const fractions = new Set(
      Array.from({ length: 20 }, (_, i) => createActivityEvent({ type: 'POST_READ', memberId: 1, postId: 2, now: new Date(Date.UTC(2030, 0, 1, 0, 0, 0, i)), timeZone }).messageKey.slice(-6)),
    );
    expect(fractions.size).toBeGreaterThan(1);
  });

  it('makes eventIds time-sortable (UUID v7)', () => {
    const a = createActivityEvent({ type: 'LIKE_POST', memberId: 1, postId: 2, now: new Date('2026-01-01T00:00:00.000Z'), timeZone });
    const b = createActivityEvent({ type: 'LIKE_POST', memberId: 1, postId: 2, now: new Date('2026-01-01T00:00:00.001Z'), timeZone });
    expect(a.eventId < b.eventId).toBe(true);
  });

  it('uses null for absent ids and accepts bigint ids', () => {
    const event = createActivityEvent({ type: 'LIKE_POST', memberId: 12345678901234567890n, postId: 5n, now, timeZone });
    expect(event).toMatchObject({ memberId: '12345678901234567890', postId: '5', commentId: null, targetMemberId: null });
  });

  it('refuses a type without its subject id, and malformed ids', () => {
    expect(() => createActivityEvent({ type: 'POST_CREATE', memberId: '1', timeZone })).toThrow(InvalidEventError);
    expect(() => createActivityEvent({ type: 'COMMENT_CREATE', memberId: '1', postId: '3', timeZone })).toThrow(/commentId/);
    expect(() => createActivityEvent({ type: 'MEMBER_FOLLOW', memberId: '1', timeZone })).toThrow(/targetMemberId/);
    expect(() => createActivityEvent({ type: 'LIKE_POST', memberId: 'abc', postId: '3', timeZone })).toThrow(InvalidEventError);
    expect(() => createActivityEvent({ type: 'LIKE_POST', memberId: 1.5, postId: '3', timeZone })).toThrow(InvalidEventError);
  });
});

describe('decodeEventValue', () => {
  const event = createActivityEvent({ type: 'COMMENT_UPDATE', memberId: 1, postId: 2, commentId: 3, now, timeZone });

  it('round-trips the JSON value', () => {
    const json = encodeEventValue(event);
    expect(Object.keys(JSON.parse(json))).toEqual(['version', 'eventId', 'messageKey', 'type', 'memberId', 'postId', 'commentId', 'targetMemberId', 'occurredAt']);
    expect(decodeEventValue(Buffer.from(json))).toEqual(event);
    expect(decodeEventValue(json)).toEqual(event);
  });

  it('drops unknown extra properties', () => {
    expect(decodeEventValue(JSON.stringify({ ...event, extra: 1 }))).toEqual(event);
  });

  it.each([
    ['bad JSON', Buffer.from('{"version":1,'), /not JSON/],
    ['no value', null, /no value/],
    ['not an object', '[1]', /not a JSON object/],
    ['unknown version', JSON.stringify({ ...event, version: 2 }), /unknown event version 2/],
    ['unknown type', JSON.stringify({ ...event, type: 'POST_SHARE' }), /schema/],
    ['numeric id', JSON.stringify({ ...event, memberId: 1 }), /schema/],
    ['missing field', JSON.stringify({ ...event, occurredAt: undefined }), /schema/],
    ['non-UTC occurredAt', JSON.stringify({ ...event, occurredAt: '2026-02-13T00:04:05.123+09:00' }), /schema/],
    ['missing subject id', JSON.stringify({ ...event, commentId: null }), /without commentId/],
  ])('throws EventDecodeError for %s', (_name, value, message) => {
    let caught: unknown;
    try {
      decodeEventValue(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventDecodeError);
    expect((caught as EventDecodeError).code).toBe('EVENT_DECODE_FAILED');
    expect((caught as Error).message).toMatch(message);
  });
});
