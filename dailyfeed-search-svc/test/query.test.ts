import { describe, expect, it } from 'vitest';
import { highlightOf } from '../src/engine/highlight.ts';
import { parseKeyword, parseKeywordOrThrow } from '../src/engine/query.ts';

describe('keyword parsing', () => {
  it('splits words, punctuation and scripts; lower-cases; de-duplicates', () => {
    expect(parseKeyword('서울에서 Seoul, seoul! 서울Tower')).toEqual([
      { text: '서울에서', hangul: true },
      { text: 'seoul', hangul: false },
      { text: '서울', hangul: true },
      { text: 'tower', hangul: false },
    ]);
  });
  it('rejects an empty, blank or punctuation-only keyword with 400', () => {
    for (const keyword of [undefined, '', '   ', '%%%']) {
      expect(() => parseKeywordOrThrow(keyword)).toThrowError(expect.objectContaining({ status: 400, code: 'VALIDATION_FAILED' }));
    }
  });
});

describe('highlights', () => {
  it('wraps matches in <em>, escapes HTML, leaves out fields without a match', () => {
    const h = highlightOf({ title: 'Hello <b>Seoul</b>', content: '서울에서 만나요' }, parseKeyword('seoul 서울'));
    expect(h).toEqual({ title: 'Hello &lt;b&gt;<em>Seoul</em>&lt;/b&gt;', content: '<em>서울</em>에서 만나요' });
    expect(highlightOf({ title: null, content: 'nothing' }, parseKeyword('seoul'))).toEqual({});
  });
  it('cuts a long field to a snippet around the first match', () => {
    const text = `${'a '.repeat(200)}needle${' b'.repeat(200)}`;
    const snippet = highlightOf({ content: text }, parseKeyword('needle')).content!;
    expect(snippet).toContain('<em>needle</em>');
    expect(snippet.startsWith('…')).toBe(true);
    expect(snippet.length).toBeLessThan(200);
  });
});
