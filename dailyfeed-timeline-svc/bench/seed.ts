/**
 * A realistic dailyfeed data set, written straight into member-svc's and content-svc's tables
 * (the write services' own tables, so the read side is measured on what it will really read):
 * - members; followings per member from a heavy-tailed (log-normal) distribution capped at the
 *   1,000 follow limit, followees chosen by popularity (Zipf), so a few authors have tens of
 *   thousands of followers (the hybrid pull) and most have a handful;
 * - posts spread uniformly over the last 30 days, authors skewed (a few post a lot), likes and
 *   comments heavy-tailed.
 * Bulk inserts: follows as multi-row `INSERT ... SELECT FROM unnest($arrays)` in 50,000-row
 * batches, posts generated server-side with generate_series (no row crosses the wire).
 *
 *   npx tsx bench/seed.ts --database-url postgresql://... [--members 100000] [--posts 1000000]
 */
import pg from 'pg';

export interface SeedOptions {
  members: number;
  posts: number;
  maxFollowings: number;
  seed: number;
  log?: (line: string) => void;
}

export const SIZES = {
  small: { members: 2_000, posts: 20_000, maxFollowings: 300 },
  full: { members: 100_000, posts: 1_000_000, maxFollowings: 1_000 },
} as const;

/** Deterministic PRNG (mulberry32): the same seed gives the same data set. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const normal = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Followings of one member: log-normal (median ~15, long tail), 0..max. */
export const followingsCount = (random: () => number, max: number): number =>
  Math.min(max, Math.max(0, Math.floor(Math.exp(2.7 + 1.3 * normal(random)))));

/** Zipf(s=1) sampler over ranks 0..n-1 by inverse CDF (binary search on cumulative weights). */
export function zipfSampler(n: number, s = 1): (random: () => number) => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cdf[i] = total += 1 / (i + 1) ** s;
  return (random) => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface SeededMembers {
  ids: string[];
  /** followings per member id (for choosing bench readers) */
  followings: Map<string, number>;
}

export async function seedMembers(pool: pg.Pool, options: SeedOptions): Promise<SeededMembers> {
  const log = options.log ?? (() => undefined);
  const tag = `${options.seed.toString(36)}${Date.now().toString(36)}`;
  let started = Date.now();
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO member.members (email, handle, password_hash, member_name, display_name, verified, created_at, updated_at)
     SELECT 'bench_' || $1 || '_' || g || '@bench.local', 'bench_' || $1 || '_' || g, 'x', 'Bench', 'Bench member ' || g, g % 97 = 0,
            now() - interval '60 days', now() - interval '60 days'
       FROM generate_series(1, $2) g
     RETURNING id::text AS id`,
    [tag, options.members],
  );
  const ids = rows.map((r) => r.id);
  log(`members: ${ids.length} in ${Date.now() - started} ms`);

  started = Date.now();
  const random = prng(options.seed);
  const pick = zipfSampler(ids.length, 0.9);
  // Popularity rank -> member: shuffled, so popular members are spread over the id range.
  const byRank = [...ids];
  for (let i = byRank.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [byRank[i], byRank[j]] = [byRank[j] as string, byRank[i] as string];
  }
  const followings = new Map<string, number>();
  let followers: string[] = [];
  let followees: string[] = [];
  let total = 0;
  const flush = async () => {
    if (followers.length === 0) return;
    await pool.query(
      `INSERT INTO member.follows (follower_id, followee_id, created_at)
       SELECT f, t, now() - random() * interval '40 days' FROM unnest($1::bigint[], $2::bigint[]) AS x(f, t) ON CONFLICT DO NOTHING`,
      [followers, followees],
    );
    total += followers.length;
    followers = [];
    followees = [];
  };
  for (const id of ids) {
    const want = Math.min(followingsCount(random, options.maxFollowings), ids.length - 1);
    const chosen = new Set<string>();
    for (let tries = 0; chosen.size < want && tries < want * 4; tries++) {
      const target = byRank[pick(random)] as string;
      if (target !== id) chosen.add(target);
    }
    followings.set(id, chosen.size);
    for (const target of chosen) {
      followers.push(id);
      followees.push(target);
    }
    if (followers.length >= 50_000) await flush();
  }
  await flush();
  await pool.query(
    `UPDATE member.members m SET followers_count = c.n FROM (SELECT followee_id, count(*)::int AS n FROM member.follows WHERE followee_id = ANY($1::bigint[]) GROUP BY followee_id) c WHERE m.id = c.followee_id`,
    [ids],
  );
  await pool.query(
    `UPDATE member.members m SET followings_count = c.n FROM (SELECT follower_id, count(*)::int AS n FROM member.follows WHERE follower_id = ANY($1::bigint[]) GROUP BY follower_id) c WHERE m.id = c.follower_id`,
    [ids],
  );
  log(`follows: ${total} in ${Date.now() - started} ms`);
  return { ids, followings };
}

/**
 * `count` posts by the seeded members over the last 30 days (authors skewed: member rank^2.5),
 * likes and comments heavy-tailed. Server-side generation: nothing crosses the wire per row.
 */
export async function seedPosts(pool: pg.Pool, members: string[], count: number, log: (line: string) => void = () => undefined): Promise<void> {
  const started = Date.now();
  const first = BigInt(members[0] as string);
  const last = BigInt(members[members.length - 1] as string);
  for (let done = 0; done < count; done += 200_000) {
    const n = Math.min(200_000, count - done);
    await pool.query(
      `INSERT INTO content.posts (author_id, title, content, like_count, comment_count, created_at, updated_at)
       SELECT $1::bigint + floor(($2::bigint - $1::bigint + 1) * power(random(), 2.5))::bigint,
              CASE WHEN g % 3 = 0 THEN 'Bench title ' || g END,
              'Bench post ' || g || ': ' || repeat('lorem ipsum ', 1 + (g % 20)),
              floor(power(random(), 8) * 500)::int, floor(power(random(), 10) * 120)::int,
              t, t
         FROM generate_series(1, $3) g, LATERAL (SELECT now() - random() * interval '30 days' AS t) x`,
      [first.toString(), last.toString(), n],
    );
  }
  await pool.query('ANALYZE content.posts');
  await pool.query('ANALYZE member.follows');
  log(`posts: ${count} in ${Date.now() - started} ms`);
}

async function main(): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
  const size = SIZES[(args.get('size') ?? 'full') as keyof typeof SIZES] ?? SIZES.full;
  const url = args.get('database-url') ?? process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('--database-url (or BENCH_DATABASE_URL) is required: a role that may write member.* and content.*');
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    const options = { ...size, members: Number(args.get('members') ?? size.members), posts: Number(args.get('posts') ?? size.posts), seed: Number(args.get('seed') ?? 42), log: console.log };
    const seeded = await seedMembers(pool, options);
    await seedPosts(pool, seeded.ids, options.posts, console.log);
  } finally {
    await pool.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
