/** The grams the engine writes equal the SQL function's (used by the backfill migration). */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { hangulGrams } from '../src/engine/grams.ts';

const missing = await missingServers(['postgres']);

describe('hangul grams', () => {
  it('are the distinct unigrams and bigrams of Hangul runs only', () => {
    expect(hangulGrams('서울에서 hello 집!').sort()).toEqual(['서', '서울', '울', '울에', '에', '에서', '집'].sort());
    expect(hangulGrams('no korean here')).toEqual([]);
  });

  it.skipIf(missing)('match search.hangul_grams in SQL', async () => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      for (const text of ['서울에서 만나요 hello 집', '제주도 바다가 예뻐요, 정말정말!', 'ㅋㅋㅋ 가나다라마바사', '']) {
        const { rows } = await client.query<{ g: string[] }>('SELECT search.hangul_grams($1) AS g', [text]);
        expect(hangulGrams(text).sort()).toEqual([...(rows[0]?.g ?? [])].sort());
      }
    } finally {
      await client.end();
    }
  });
});
