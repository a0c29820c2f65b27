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
  return { postId: BigInt(member.slice(0, PAD)).toString(), authorId: member.slice(PAD + 1), createdMs: score };
}

/** Newest-first comparison: negative when a comes before b. */
export function compareDesc(a: Position, b: Position): number {
  if (a.ms !== b.ms) return b.ms - a.ms;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

export const positionOf = (entry: FeedEntry): Position => ({ ms: entry.createdMs, id: BigInt(entry.postId) });

/** true when the entry comes strictly after the cursor position in newest-first order. */
export const isAfterDesc = (entry: FeedEntry, cursor: Position | null): boolean =>
  cursor === null || compareDesc(positionOf(entry), cursor) > 0;

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

/**
 * Merges newest-first lists into one newest-first list without duplicates (a post can come
 * from the cached feed and from a pull at once), keeping at most `limit` entries.
 */
export function mergeDesc(lists: FeedEntry[][], limit: number): FeedEntry[] {
  const all = lists.flat().sort((a, b) => compareDesc(positionOf(a), positionOf(b)));
  const out: FeedEntry[] = [];
  let previous: string | undefined;
  for (const entry of all) {
    if (entry.postId === previous) continue;
    previous = entry.postId;
    out.push(entry);
    if (out.length >= limit) break;
  }
  return out;
}
