import { describe, expect, it } from 'vitest';
import { compareDesc, decodePosition, encodePosition, entryOf, isAfterDesc, memberOf, mergeDesc, type FeedEntry } from '../src/feed/entries.ts';

const e = (postId: string, createdMs: number, authorId = '7'): FeedEntry => ({ postId, authorId, createdMs });

describe('feed entries and keyset cursors', () => {
  it('round-trips a Redis member', () => {
    const member = memberOf(e('123', 5));
    expect(member).toBe('00000000000000000123:7');
    expect(entryOf(member, 5)).toEqual(e('123', 5));
    expect(entryOf('!', -1)).toBeNull();
  });

  it('orders by time then id, newest first, like the SQL keyset', () => {
    const list = [e('1', 10), e('3', 20), e('2', 20), e('9', 5)];
    list.sort((a, b) => compareDesc({ ms: a.createdMs, id: BigInt(a.postId) }, { ms: b.createdMs, id: BigInt(b.postId) }));
    expect(list.map((x) => x.postId)).toEqual(['3', '2', '1', '9']);
  });

  it('padded members sort like ids within one millisecond', () => {
    expect(memberOf(e('10', 1)) > memberOf(e('9', 1))).toBe(true);
  });

  it('a cursor is exclusive and survives encoding', () => {
    const position = decodePosition(encodePosition({ ms: 20, id: 2n }));
    expect(position).toEqual({ ms: 20, id: 2n });
    expect(isAfterDesc(e('3', 20), position)).toBe(false);
    expect(isAfterDesc(e('2', 20), position)).toBe(false);
    expect(isAfterDesc(e('1', 20), position)).toBe(true);
    expect(isAfterDesc(e('9', 19), position)).toBe(true);
  });

  it('rejects forged cursors with INVALID_CURSOR', () => {
    expect(() => decodePosition('abc')).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR', status: 400 }));
    const bad = Buffer.from(JSON.stringify({ t: 'nope', id: '1' })).toString('base64url');
    expect(() => decodePosition(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
  });

  it('pages never skip or repeat while newer entries arrive', () => {
    const all: FeedEntry[] = [];
    for (let i = 1; i <= 50; i++) all.push(e(String(i), 1000 + Math.floor(i / 3)));
    const seen: string[] = [];
    let cursor = null as ReturnType<typeof decodePosition>;
    let next = 51;
    for (;;) {
      const page = mergeDesc([all.filter((x) => isAfterDesc(x, cursor))], 7);
      if (page.length === 0) break;
      seen.push(...page.map((x) => x.postId));
      const last = page[page.length - 1] as FeedEntry;
      cursor = { ms: last.createdMs, id: BigInt(last.postId) };
      for (let k = 0; k < 3; k++, next++) all.push(e(String(next), 2000 + next)); // newer posts
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => String(50 - i)).sort((a, b) => {
      const x = all.find((p) => p.postId === a) as FeedEntry;
      const y = all.find((p) => p.postId === b) as FeedEntry;
      return compareDesc({ ms: x.createdMs, id: BigInt(a) }, { ms: y.createdMs, id: BigInt(b) });
    }));
    expect(new Set(seen).size).toBe(50);
  });

  it('merges lists without duplicates', () => {
    expect(mergeDesc([[e('5', 50), e('3', 30)], [e('5', 50), e('4', 40)]], 10).map((x) => x.postId)).toEqual(['5', '4', '3']);
  });
});
