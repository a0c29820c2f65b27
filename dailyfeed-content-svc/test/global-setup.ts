/** Applies this service's migrations to DATABASE_URL once before the suites (skipped without it). */
import path from 'node:path';
import { applyMigrations } from '../dailyfeed-shared/tools/prisma-migrate.ts';

export default async function setup(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) return;
  await applyMigrations({ databaseUrl, prismaDir: path.resolve(import.meta.dirname, '../prisma') });
}
