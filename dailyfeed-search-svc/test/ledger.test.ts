/** Out-of-order safety of the indexer's ledger (engine-independent): PostgreSQL only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { createPool } from '../src/db/pool.ts';
import { Ledger } from '../src/indexer/ledger.ts';
import { newId } from './helpers.ts';

const missing = await missingServers(['postgres']);

describe.skipIf(missing)('ledger', () => {
  let pool: pg.Pool;
  let ledger: Ledger;
  const t = (s: number) => new Date(Date.UTC(2026, 10, 28, 0, 0, s));

  beforeAll(() => {
    pool = createPool(process.env.DATABASE_URL as string, 2);
    ledger = new Ledger(pool);
  });
  afterAll(() => pool?.end());

  it('accepts newer or equal versions and refuses older ones', async () => {
    const id = newId();
    expect(await ledger.acceptUpserts('post', [{ id, version: t(10) }])).toEqual(new Set([id]));
    expect(await ledger.acceptUpserts('post', [{ id, version: t(5) }])).toEqual(new Set());
    expect(await ledger.acceptUpserts('post', [{ id, version: t(10) }])).toEqual(new Set([id])); // a replay
    expect(await ledger.acceptUpserts('post', [{ id, version: t(20) }])).toEqual(new Set([id]));
  });

  it('keeps a delete final: a late create or update never resurrects', async () => {
    const id = newId();
    await ledger.tombstone('post', [{ id, version: t(10) }]);
    expect(await ledger.acceptUpserts('post', [{ id, version: t(5) }])).toEqual(new Set());
    expect(await ledger.acceptUpserts('post', [{ id, version: t(50) }])).toEqual(new Set());
    expect(await ledger.isDeleted('post', id)).toBe(true);
  });

  it('tombstones the comments it knows of a deleted post', async () => {
    const postId = newId();
    const commentId = newId();
    expect(await ledger.acceptUpserts('comment', [{ id: commentId, version: t(1), postId }])).toEqual(new Set([commentId]));
    const hasContent = (await pool.query(`SELECT to_regclass('content.comments') IS NOT NULL AS ok`)).rows[0]?.ok as boolean;
    if (hasContent) await ledger.tombstoneCommentsOfPosts([postId], t(2));
    else await pool.query(`UPDATE search.document_states SET deleted = true WHERE kind = 'comment' AND post_id = $1`, [postId]);
    expect(await ledger.acceptUpserts('comment', [{ id: commentId, version: t(3), postId }])).toEqual(new Set());
  });
});
