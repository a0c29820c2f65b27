import { describe, it, expect } from 'vitest';
import { decodeCursorOrThrow, encodeCursor, pageFromRows, pageSize, TimeCursor } from '../../src/contracts/pagination.ts';
import { AppError } from '../../src/http/errors.ts';

describe('pagination', () => {
  it('clamps sizes', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(500)).toBe(100);
    expect(pageSize(7)).toBe(7);
  });

  it('builds a page from size + 1 rows with a cursor of the last returned row', () => {
    const rows = [1, 2, 3, 4].map((n) => ({ id: String(n), t: `2026-11-28T00:00:0${n}.000Z` }));
    const page = pageFromRows(rows, 3, (row) => row.id, (row) => ({ t: row.t, id: row.id }));
    expect(page).toMatchObject({ content: ['1', '2', '3'], size: 3, hasNext: true });
    expect(decodeCursorOrThrow(page.nextCursor!, TimeCursor)).toEqual({ t: rows[2]!.t, id: '3' });
    expect(pageFromRows(rows.slice(0, 2), 3, (r) => r.id, (r) => r).nextCursor).toBeNull();
  });

  it('rejects forged cursors with 400 INVALID_CURSOR', () => {
    for (const bad of ['!!!', encodeCursor({ t: 1 }), encodeCursor('x'), Buffer.from('{').toString('base64url')]) {
      try {
        decodeCursorOrThrow(bad, TimeCursor);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).status).toBe(400);
        expect((error as AppError).code).toBe('INVALID_CURSOR');
      }
    }
  });
});
