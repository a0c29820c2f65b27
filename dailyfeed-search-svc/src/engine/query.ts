/**
 * Keyword -> terms. Words are split at anything that is not a letter, digit or mark, then at
 * script changes between Hangul syllables and everything else (`서울Seoul` -> `서울`, `seoul`),
 * so each term is matched the way its script needs (engine/postgres-engine.ts). Terms are
 * lower-cased and de-duplicated; at most MAX_TERMS are kept.
 */
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';

export interface QueryTerm {
  text: string;
  /** Hangul syllables only (U+AC00..U+D7A3). */
  hangul: boolean;
}

export const MAX_TERMS = 8;
export const MAX_KEYWORD_LENGTH = 100;
const HANGUL_RUN = /[가-힣]+|[^가-힣]+/gu;
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
export const isHangul = (text: string): boolean => /^[가-힣]+$/u.test(text);

export function parseKeyword(keyword: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  const seen = new Set<string>();
  for (const word of keyword.normalize('NFC').toLowerCase().match(WORD) ?? []) {
    for (const run of word.match(HANGUL_RUN) ?? []) {
      if (seen.has(run)) continue;
      seen.add(run);
      terms.push({ text: run, hangul: isHangul(run) });
      if (terms.length === MAX_TERMS) return terms;
    }
  }
  return terms;
}

/** The terms of a keyword; 400 when it is empty or has nothing searchable. */
export function parseKeywordOrThrow(keyword: string | undefined): QueryTerm[] {
  const trimmed = (keyword ?? '').trim();
  const fail = (message: string) =>
    new AppError(400, ErrorCode.VALIDATION_FAILED, message, { details: [{ field: 'keyword', message }] });
  if (trimmed === '') throw fail('keyword must not be empty');
  if (trimmed.length > MAX_KEYWORD_LENGTH) throw fail(`keyword must be at most ${MAX_KEYWORD_LENGTH} characters`);
  const terms = parseKeyword(trimmed);
  if (terms.length === 0) throw fail('keyword has no letters or digits to search for');
  return terms;
}
