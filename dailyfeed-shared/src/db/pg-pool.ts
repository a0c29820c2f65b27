/**
 * The PostgreSQL connection plumbing every service uses for hand-written SQL: a pool on
 * the service's own schema, transactions, and unique-violation detection. Infrastructure
 * only: no table, query or business rule of any service lives here.
 * BIGINT ids stay strings (the API's decimal ids); DATE columns stay `yyyy-mm-dd` strings
 * (no time-zone shift).
 */
import pg from 'pg';

const DATE_OID = 1082;

export type Tx = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'>;

export interface PgPoolOptions {
  databaseUrl: string;
  max: number;
  /** The service's schema, first on the search_path. */
  schema: string;
}

export function createPgPool({ databaseUrl, max, schema }: PgPoolOptions): pg.Pool {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    options: `-c search_path=${schema},public`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => undefined); // an idle client dropped by the server; the pool replaces it
  return pool;
}

/** Runs fn in a transaction on one client; rolls back on any error. */
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

/** The constraint a unique violation (23505) hit, else undefined. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' ? (e.constraint ?? '') : undefined;
}
