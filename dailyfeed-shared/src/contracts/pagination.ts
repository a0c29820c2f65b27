/**
 * Pagination of api.md §1: `size` (default 20, clamped to 100), opaque `cursor`,
 * and `page` for offset paging. Time-ordered lists page by keyset cursors
 * (the last item's sort key), so rows inserted between page loads are never
 * skipped or repeated; ranked lists may encode an offset in the cursor.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { AppError } from '../http/errors.ts';
import { ErrorCode } from './error-codes.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export const PageQuery = Type.Object({
  size: Type.Optional(Type.Integer({ minimum: 1, description: `default ${DEFAULT_PAGE_SIZE}; values above ${MAX_PAGE_SIZE} are clamped` })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
});
export type PageQuery = Static<typeof PageQuery>;

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    content: Type.Array(item),
    size: Type.Integer(),
    hasNext: Type.Boolean(),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  });
export interface Page<T> {
  content: T[];
  size: number;
  hasNext: boolean;
  nextCursor: string | null;
}

export const pageSize = (size: number | undefined): number =>
  Math.min(Math.max(size ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);

export const encodeCursor = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Decodes a cursor and checks its shape; a forged or stale cursor is a 400, never a 500. */
export function decodeCursorOrThrow<T extends TSchema>(cursor: string, schema: T): Static<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError(400, ErrorCode.INVALID_CURSOR, 'cursor is not valid');
  }
  if (!Value.Check(schema, parsed)) throw new AppError(400, ErrorCode.INVALID_CURSOR, 'cursor is not valid');
  return parsed as Static<T>;
}

/**
 * Builds a page from `size + 1` fetched rows: the extra row only tells whether a
 * next page exists; the cursor is made from the last row that is returned.
 */
export function pageFromRows<R, T>(rows: R[], size: number, toItem: (row: R) => T, cursorOf: (row: R) => unknown): Page<T> {
  const hasNext = rows.length > size;
  const kept = hasNext ? rows.slice(0, size) : rows;
  const last = kept[kept.length - 1];
  return {
    content: kept.map(toItem),
    size: kept.length,
    hasNext,
    nextCursor: hasNext && last !== undefined ? encodeCursor(cursorOf(last)) : null,
  };
}

/** Keyset cursor of time-ordered lists: the last item's (createdAt, id). */
export const TimeCursor = Type.Object({ t: Type.String({ maxLength: 40 }), id: Type.String({ pattern: '^[0-9]{1,19}$' }) });
export type TimeCursor = Static<typeof TimeCursor>;

/** Offset cursor of ranked lists. */
export const OffsetCursor = Type.Object({ o: Type.Integer({ minimum: 0, maximum: 100_000 }) });
