/**
 * The PostgreSQL pool of content-svc. Writes are hand-written SQL: counters move in the
 * same statement as the row they count, and ON CONFLICT makes concurrent likes exact.
 * BIGINT ids stay strings (the API's decimal ids).
 */
import pg from 'pg';

export type Tx = pg.PoolClient;

export function createPool(databaseUrl: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    options: '-c search_path=content,public',
  });
  pool.on('error', () => undefined); // an idle client dropped by the server; the pool replaces it
  return pool;
}

export async function inTransaction<T>(pool: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
