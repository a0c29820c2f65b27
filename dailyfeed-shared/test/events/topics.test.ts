import { describe, expect, it } from 'vitest';
import { datedTopicName, parseDatedTopic, producerTopics, topicWindow, topicsOlderThan } from '../../src/events/index.ts';

const seoul = { prefix: 'p-', timeZone: 'Asia/Seoul' };
const utc = { prefix: 'p-', timeZone: 'UTC' };

describe('dated topic names', () => {
  it('takes the date in the topic zone (Seoul is a day ahead of UTC after 15:00 UTC)', () => {
    const instant = new Date('2026-02-12T15:30:00Z');
    expect(datedTopicName(instant, seoul)).toBe('p-member-activity-20260213');
    expect(datedTopicName(instant, utc)).toBe('p-member-activity-20260212');
    expect(datedTopicName(new Date('2026-02-12T14:59:59.999Z'), seoul)).toBe('p-member-activity-20260212');
    expect(datedTopicName(instant, { prefix: '', timeZone: 'Asia/Seoul' })).toBe('member-activity-20260213');
  });

  it('computes the window across a year boundary', () => {
    expect(topicWindow(new Date('2025-12-31T15:00:00Z'), seoul)).toEqual([
      'p-member-activity-20251231',
      'p-member-activity-20260101',
      'p-member-activity-20260102',
    ]);
    expect(producerTopics(new Date('2024-02-28T15:00:00Z'), seoul)).toEqual(['p-member-activity-20240229', 'p-member-activity-20240301']);
  });

  it('keeps consecutive days across a DST change', () => {
    const ny = { prefix: '', timeZone: 'America/New_York' };
    // 2026-03-08 is 23 hours long in New York.
    expect(topicWindow(new Date('2026-03-08T05:30:00Z'), ny)).toEqual(['member-activity-20260307', 'member-activity-20260308', 'member-activity-20260309']);
    expect(topicWindow(new Date('2026-03-09T03:59:00Z'), ny)).toEqual(['member-activity-20260307', 'member-activity-20260308', 'member-activity-20260309']);
  });

  it('parses only dated topics of its prefix with a real date', () => {
    expect(parseDatedTopic('p-member-activity-20260213', 'p-')).toEqual({ year: 2026, month: 2, day: 13, ymd: '20260213' });
    expect(parseDatedTopic('q-member-activity-20260213', 'p-')).toBeNull();
    expect(parseDatedTopic('p-member-activity-20260230', 'p-')).toBeNull();
    expect(parseDatedTopic('p-member-activity-2026021', 'p-')).toBeNull();
    expect(parseDatedTopic('a.b-member-activity-20260213', 'a.b-')).not.toBeNull();
    expect(parseDatedTopic('aXb-member-activity-20260213', 'a.b-')).toBeNull();
    // The production prefix '' never matches a test run's topics.
    expect(parseDatedTopic('p-member-activity-20260213', '')).toBeNull();
  });

  it('selects the days past the retention, in the topic zone', () => {
    const names = [
      'p-member-activity-20260205', // 8 days before the 13th
      'p-member-activity-20260206', // 7 days before: kept
      'p-member-activity-20260213',
      'p-member-activity-20260214',
      'q-member-activity-20200101', // another prefix: never
      'p-other',
    ];
    // 2026-02-12T15:30Z is the 13th in Seoul but the 12th in UTC.
    const now = new Date('2026-02-12T15:30:00Z');
    expect(topicsOlderThan(names, { ...seoul, retentionDays: 7, now })).toEqual(['p-member-activity-20260205']);
    expect(topicsOlderThan(names, { ...utc, retentionDays: 7, now })).toEqual([]);
    expect(() => topicsOlderThan(names, { ...seoul, retentionDays: 0, now })).toThrow(RangeError);
  });
});
