/**
 * Distinct Hangul unigrams and bigrams of a text: what the PostgreSQL engine indexes for
 * 1-2 syllable Korean queries (pg_trgm has no trigram for them). Same definition as the SQL
 * function `search.hangul_grams` (migration 20261128052702_init), used there to backfill.
 */
const HANGUL_RUN = /[가-힣]+/gu;

export function hangulGrams(text: string): string[] {
  const grams = new Set<string>();
  for (const run of text.match(HANGUL_RUN) ?? []) {
    for (let i = 0; i < run.length; i++) {
      grams.add(run[i]!);
      if (i + 1 < run.length) grams.add(run.slice(i, i + 2));
    }
  }
  return [...grams];
}
