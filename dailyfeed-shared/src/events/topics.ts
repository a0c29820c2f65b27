/**
 * Dated topic names: `{prefix}member-activity-{yyyyMMdd}`, the date of an instant in the
 * topic time zone (DAILYFEED_TOPIC_TIMEZONE). Pure functions.
 */
import { pad, zonedYmd } from './zoned-time.ts';

export interface TopicNaming {
  /** DAILYFEED_TOPIC_PREFIX: '' in production, unique per test run. */
  prefix: string;
  /** DAILYFEED_TOPIC_TIMEZONE, e.g. 'Asia/Seoul'. */
  timeZone: string;
}

export const TOPIC_BASE = 'member-activity-';

export interface TopicDate {
  year: number;
  month: number;
  day: number;
  /** `yyyyMMdd`: compares as a string in calendar order. */
  ymd: string;
}

const nameOf = (prefix: string, ymd: string) => `${prefix}${TOPIC_BASE}${ymd}`;

/** The topic of the day `date` falls on in the topic zone (`offsetDays` later). */
export function datedTopicName(date: Date, naming: TopicNaming, offsetDays = 0): string {
  return nameOf(naming.prefix, zonedYmd(date, naming.timeZone, offsetDays));
}

/** The consumers' window: [yesterday, today, tomorrow] in the topic zone. */
export function topicWindow(now: Date, naming: TopicNaming): [string, string, string] {
  return [datedTopicName(now, naming, -1), datedTopicName(now, naming, 0), datedTopicName(now, naming, 1)];
}

/** The topics a producer keeps ready: [today, tomorrow]. */
export function producerTopics(now: Date, naming: TopicNaming): [string, string] {
  return [datedTopicName(now, naming, 0), datedTopicName(now, naming, 1)];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The date of a dated topic of this prefix, or null for any other name (or an impossible date). */
export function parseDatedTopic(name: string, prefix: string): TopicDate | null {
  const match = new RegExp(`^${escapeRegExp(prefix)}${TOPIC_BASE}(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { year, month, day, ymd: `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}` };
}

/**
 * Of `names`, the dated topics of this prefix whose day is more than `retentionDays` days
 * before today (in the topic zone). With 7, on the 20th the 12th and older go, the 13th stays.
 */
export function topicsOlderThan(
  names: Iterable<string>,
  options: TopicNaming & { retentionDays: number; now: Date },
): string[] {
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
    throw new RangeError(`retentionDays must be an integer >= 1, got ${options.retentionDays}`);
  }
  const oldestKept = zonedYmd(options.now, options.timeZone, -options.retentionDays);
  const old: string[] = [];
  for (const name of names) {
    const date = parseDatedTopic(name, options.prefix);
    if (date && date.ymd < oldestKept) old.push(name);
  }
  return old.sort();
}
