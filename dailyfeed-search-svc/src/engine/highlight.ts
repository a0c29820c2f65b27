/**
 * Highlights made here, the same for every engine: the matched terms wrapped in <em></em>
 * in a snippet of the field, everything else HTML-escaped (the snippet is meant to be
 * rendered as HTML, and post text is user input). A field without a match is left out.
 */
import type { QueryTerm } from './query.ts';

const SNIPPET_LENGTH = 160;
const CONTEXT_BEFORE = 50;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function termsPattern(terms: QueryTerm[]): RegExp | null {
  if (terms.length === 0) return null;
  // Longest first, so `seoul` wins over `se` where both match.
  const alternatives = [...terms].sort((a, b) => b.text.length - a.text.length).map((t) => escapeRegExp(t.text));
  return new RegExp(alternatives.join('|'), 'giu');
}

/** The snippet of `text` around its first match, or null when no term occurs in it. */
export function highlightField(text: string | null, pattern: RegExp | null, whole = false): string | null {
  if (!text || !pattern) return null;
  pattern.lastIndex = 0;
  const first = pattern.exec(text);
  if (!first) return null;
  let start = 0;
  let end = text.length;
  if (!whole && text.length > SNIPPET_LENGTH) {
    start = Math.max(0, first.index - CONTEXT_BEFORE);
    end = Math.min(text.length, start + SNIPPET_LENGTH);
    start = Math.max(0, Math.min(start, end - SNIPPET_LENGTH));
  }
  const slice = text.slice(start, end);
  let out = '';
  let last = 0;
  pattern.lastIndex = 0;
  for (const match of slice.matchAll(pattern)) {
    out += escapeHtml(slice.slice(last, match.index)) + '<em>' + escapeHtml(match[0]) + '</em>';
    last = match.index + match[0].length;
  }
  out += escapeHtml(slice.slice(last));
  return (start > 0 ? '…' : '') + out + (end < text.length ? '…' : '');
}

export function highlightOf(fields: Record<string, string | null>, terms: QueryTerm[]): Record<string, string> {
  const pattern = termsPattern(terms);
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(fields)) {
    const snippet = highlightField(text, pattern, name === 'title');
    if (snippet !== null) out[name] = snippet;
  }
  return out;
}
