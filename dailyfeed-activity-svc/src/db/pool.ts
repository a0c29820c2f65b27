/**
 * The PostgreSQL pool of activity-svc. Data access is hand-written SQL (README, "Data access"):
 * the consumer's conditional upsert and the keyset pages. BIGINT ids stay strings (the API's
 * decimal ids).
 */
import pg from 'pg';

export type Db = pg.Pool;

export function createPool(databaseUrl: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    options: '-c search_path=activity,public',
  });
  pool.on('error', () => undefined); // an idle client dropped by the server; the pool replaces it
  return pool;
}
