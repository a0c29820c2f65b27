/**
 * `node dist/migrate.js` applies prisma/migrations to DATABASE_URL (own schema only, see
 * db/own-schema-migrations.ts); `node dist/migrate.js create <name>` writes a new migration
 * with the shared tool (full schema.prisma, other services' tables external).
 */
import path from 'node:path';
import { runMigrateCli } from '../dailyfeed-shared/tools/migrate-cli.ts';
import { applyOwnMigrations } from './db/own-schema-migrations.ts';

const argv = process.argv.slice(2);
if (argv[0] === 'create') {
  await runMigrateCli(argv);
} else {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('DATABASE_URL is required (postgresql://user:password@host:port/database)');
    process.exit(2);
  }
  try {
    const applied = await applyOwnMigrations({
      databaseUrl,
      prismaDir: path.resolve(process.env.PRISMA_DIR ?? 'prisma'),
      ...(process.env.MIGRATE_VERBOSE ? { log: (line: string) => console.error(line) } : {}),
    });
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
  } catch (error) {
    console.error(`migration failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
