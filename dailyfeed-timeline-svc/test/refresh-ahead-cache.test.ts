import { describe, expect, it } from 'vitest';
import { RefreshAheadCache } from '../src/reads/refresh-ahead-cache.ts';

/** A table behind a loader that counts its calls; rows are versioned so staleness shows. */
function table() {
  const rows = new Map<string, string>();
  const calls: string[][] = [];
  let gate: Promise<void> | null = null;
  return {
    rows,
    calls,
    hold() {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = null;
        open();
      };
    },
    async load(ids: string[]) {
      calls.push([...ids]);
      const snapshot = new Map(ids.filter((id) => rows.has(id)).map((id) => [id, rows.get(id) as string]));
      if (gate) await gate;
      return snapshot;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

function cacheOver(t: ReturnType<typeof table>, clock: { now: number }, freshMs = 100) {
  return new RefreshAheadCache<string>({ load: (ids) => t.load(ids), freshMs, maxStaleMs: freshMs * 5, maxEntries: 3, now: () => clock.now });
}

/** A table holding `rows`, a clock at 0 and a cache over them (freshMs 100, maxStaleMs 500). */
function setup(rows: Record<string, string>, freshMs = 100) {
  const t = table();
  for (const [id, value] of Object.entries(rows)) t.rows.set(id, value);
  const clock = { now: 0 };
  return { t, clock, cache: cacheOver(t, clock, freshMs) };
}

describe('RefreshAheadCache', () => {
  it('loads misses in one batch and serves fresh hits without loading', async () => {
    const { t, clock, cache } = setup({ a: 'a1', b: 'b1' });
    expect([...(await cache.getMany(['a', 'b', 'a', 'x']))]).toEqual([['a', 'a1'], ['b', 'b1']]);
    expect(t.calls).toEqual([['a', 'b', 'x']]);
    t.rows.set('a', 'a2');
    clock.now = 100;
    expect((await cache.getMany(['a'])).get('a')).toBe('a1');
    await settle();
    expect(t.calls).toHaveLength(1);
  });

  it('serves a stale row once and refreshes it in the background', async () => {
    const { t, clock, cache } = setup({ a: 'a1' });
    await cache.getMany(['a']);
    t.rows.set('a', 'a2');
    clock.now = 150; // older than freshMs, younger than maxStaleMs
    expect((await cache.getMany(['a'])).get('a')).toBe('a1');
    expect((await cache.getMany(['a'])).get('a')).toBe('a1');
    await settle();
    expect(t.calls).toEqual([['a'], ['a']]); // both stale reads shared one refresh
    expect((await cache.getMany(['a'])).get('a')).toBe('a2');
  });

  it('reloads before answering a row nobody read for longer than maxStaleMs', async () => {
    const { t, clock, cache } = setup({ a: 'a1' });
    await cache.getMany(['a']);
    t.rows.set('a', 'a2');
    clock.now = 501;
    expect((await cache.getMany(['a'])).get('a')).toBe('a2');
  });

  it('drops a row a refresh no longer finds (a deleted post)', async () => {
    const { t, clock, cache } = setup({ a: 'a1' });
    await cache.getMany(['a']);
    t.rows.delete('a');
    clock.now = 150;
    await cache.getMany(['a']);
    await settle();
    expect(cache.size).toBe(0);
    expect(await cache.getMany(['a'])).toEqual(new Map());
  });

  it('an eviction during a load is not undone by that load', async () => {
    const { t, clock, cache } = setup({ a: 'a1' });
    const release = t.hold();
    const reading = cache.getMany(['a']); // the load read a1, then waits
    await settle();
    t.rows.delete('a');
    cache.evict('a');
    release();
    expect((await reading).get('a')).toBe('a1'); // that read began before the delete
    expect(cache.size).toBe(0);
    await cache.getMany(['a']);
    expect(t.calls).toHaveLength(2);
  });

  it('keeps at most maxEntries, dropping the least recently loaded', async () => {
    const { t, cache } = setup({ a: 'a', b: 'b', c: 'c', d: 'd' });
    await cache.getMany(['a', 'b', 'c']);
    await cache.getMany(['d']);
    expect(cache.size).toBe(3);
    await cache.getMany(['b', 'c', 'd']);
    expect(t.calls).toHaveLength(2);
    await cache.getMany(['a']);
    expect(t.calls).toHaveLength(3);
  });

  it('freshMs 0 caches nothing: every read loads', async () => {
    const { t, cache } = setup({ a: 'a1' }, 0);
    await cache.getMany(['a']);
    await cache.getMany(['a']);
    expect(t.calls).toHaveLength(2);
    expect(cache.size).toBe(0);
  });

  it('a failed refresh keeps the rows and reports the error', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const clock = { now: 0 };
    const cache = new RefreshAheadCache<string>({
      load: async (ids) => {
        if (fail) throw new Error('db down');
        return new Map(ids.map((id) => [id, `${id}1`]));
      },
      freshMs: 100,
      maxStaleMs: 500,
      maxEntries: 10,
      now: () => clock.now,
      onRefreshError: (error) => errors.push(error),
    });
    await cache.getMany(['a']);
    fail = true;
    clock.now = 150;
    expect((await cache.getMany(['a'])).get('a')).toBe('a1');
    await settle();
    expect(errors).toHaveLength(1);
    expect((await cache.getMany(['a'])).get('a')).toBe('a1');
    clock.now = 600;
    await expect(cache.getMany(['a'])).rejects.toThrow('db down');
  });
});
