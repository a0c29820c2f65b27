/**
 * The PostgreSQL pool of search-svc, on its own schema; data access is hand-written SQL
 * (see the README). The plumbing is dailyfeed-shared's.
 */
import type pg from 'pg';
import { createPgPool } from '../../dailyfeed-shared/src/db/pg-pool.ts';

export { inTransaction, uniqueViolation, type Tx, type Queryable } from '../../dailyfeed-shared/src/db/pg-pool.ts';
export type Db = pg.Pool;

export const createPool = (databaseUrl: string, max: number, schema = 'search'): pg.Pool => createPgPool({ databaseUrl, max, schema });
