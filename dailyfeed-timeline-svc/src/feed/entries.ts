/**
 * Time-ordered feed entries and their keyset order: newest first by (createdAt ms, post id).
 * In Redis an entry is the sorted-set member `<post id padded to 20 digits>:<author id>` with
 * the createdAt milliseconds as score: equal scores order by member, that is by post id, so
 * Redis order and SQL `ORDER BY created_at DESC, id DESC` are the same order.
 */
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { badRequest } from '../../dailyfeed-shared/src/http/errors.ts';
import { decodeCursorOrThrow, encodeCursor, TimeCursor } from '../../dailyfeed-shared/src/contracts/pagination.ts';

export interface FeedEntry {
  postId: string;
  authorId: string;
  createdMs: number;
}

export interface Position {
  ms: number;
  id: bigint;
}

const PAD = 20;
export const memberOf = (entry: Pick<FeedEntry, 'postId' | 'authorId'>): string => `${entry.postId.padStart(PAD, '0')}:${entry.authorId}`;

export function entryOf(member: string, score: number): FeedEntry | null {
  const sep = member.indexOf(':');
  if (sep !== PAD) return null; // a sentinel or a foreign member
  let start = 0;
  while (start < PAD - 1 && member.charCodeAt(start) === 48 /* '0' */) start += 1;
  return { postId: member.slice(start, PAD), authorId: member.slice(PAD + 1), createdMs: score };
}

/** Newest-first comparison: negative when a comes before b. */
export function compareDesc(a: Position, b: Position): number {
  if (a.ms !== b.ms) return b.ms - a.ms;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

export const positionOf = (entry: FeedEntry): Position => ({ ms: entry.createdMs, id: BigInt(entry.postId) });

/** Numeric order of canonical decimal ids (no leading zeros), without parsing them. */
const compareIds = (a: string, b: string): number => (a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0);

/**
 * compareDesc of two entries without allocating (the feed compares thousands of entries per
 * page when it merges pulled authors).
 */
export const compareEntriesDesc = (a: FeedEntry, b: FeedEntry): number =>
  a.createdMs !== b.createdMs ? b.createdMs - a.createdMs : -compareIds(a.postId, b.postId);

/** true when the entry comes strictly after the cursor position in newest-first order. */
export const isAfterDesc = (entry: FeedEntry, cursor: Position | null): boolean =>
  cursor === null || entry.createdMs < cursor.ms || (entry.createdMs === cursor.ms && BigInt(entry.postId) < cursor.id);

/** Oldest-first lists (comments) use the same cursor with the opposite order. */
export const isAfterAsc = (position: Position, cursor: Position | null): boolean =>
  cursor === null || compareDesc(position, cursor) < 0;

export function decodePosition(cursor: string | undefined): Position | null {
  if (cursor === undefined || cursor === '') return null;
  const decoded = decodeCursorOrThrow(cursor, TimeCursor);
  const ms = Date.parse(decoded.t);
  if (!Number.isFinite(ms)) throw badRequest(ErrorCode.INVALID_CURSOR, 'cursor is not valid');
  return { ms, id: BigInt(decoded.id) };
}

export const cursorOfPosition = (position: Position): TimeCursor => ({ t: new Date(position.ms).toISOString(), id: position.id.toString() });
export const encodePosition = (position: Position): string => encodeCursor(cursorOfPosition(position));

/** One newest-first run: its first `limit` distinct entries (repeats are adjacent). */
function dedupeSorted(run: FeedEntry[], limit: number): FeedEntry[] {
  const out: FeedEntry[] = [];
  for (let i = 0; i < run.length && out.length < limit; i++) {
    const entry = run[i] as FeedEntry;
    if (i === 0 || entry.postId !== (run[i - 1] as FeedEntry).postId) out.push(entry);
  }
  return out;
}

const isSortedDesc = (list: readonly FeedEntry[]): boolean => {
  for (let i = 1; i < list.length; i++) if (compareEntriesDesc(list[i - 1] as FeedEntry, list[i] as FeedEntry) > 0) return false;
  return true;
};

/**
 * Merges newest-first lists into one newest-first list without duplicates (a post can come
 * from the cached feed and from a pull at once), keeping at most `limit` entries. A k-way merge
 * of the lists' heads: limit x lists comparisons, not a sort of everything pulled (a reader
 * following many big authors brings a list per author). A list out of order is sorted first.
 */
export function mergeDesc(lists: FeedEntry[][], limit: number): FeedEntry[] {
  const runs = lists.filter((list) => list.length > 0).map((list) => (isSortedDesc(list) ? list : [...list].sort(compareEntriesDesc)));
  if (runs.length === 1) return dedupeSorted(runs[0] as FeedEntry[], limit);
  const heads = runs.map(() => 0);
  const out: FeedEntry[] = [];
  let previous: string | undefined;
  while (out.length < limit) {
    let best = -1;
    let bestEntry: FeedEntry | undefined;
    for (let i = 0; i < runs.length; i++) {
      const entry = (runs[i] as FeedEntry[])[heads[i] as number];
      if (entry && (!bestEntry || compareEntriesDesc(entry, bestEntry) < 0)) {
        best = i;
        bestEntry = entry;
      }
    }
    if (!bestEntry) break;
    heads[best] = (heads[best] as number) + 1;
    // Equal entries (one post in two lists) come out one after the other.
    if (bestEntry.postId === previous) continue;
    previous = bestEntry.postId;
    out.push(bestEntry);
  }
  return out;
}
