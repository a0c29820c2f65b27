/**
 * The PostgreSQL pool of timeline-svc. Reads are hand-written SQL (README: one round trip
 * per page, hydration with joins across the read-only content/member tables, keyset
 * predicates Prisma cannot express). BIGINT ids stay strings (the API's decimal ids).
 */
import pg from 'pg';

export type Db = pg.Pool;
export type Queryable = Pick<pg.Pool, 'query'>;

export function createPool(databaseUrl: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    options: '-c search_path=timeline,public',
  });
  pool.on('error', () => undefined); // an idle client dropped by the server; the pool replaces it
  return pool;
}
