/**
 * The `migrate` and `migrate:create` commands of a service: `node dist/migrate.js`
 * applies migrations to DATABASE_URL; `... create <name>` writes a new one
 * (DATABASE_URL then needs CREATEDB for the shadow database; use the admin URL).
 */
import path from 'node:path';
import { applyMigrations, createMigration } from './prisma-migrate.ts';

export async function runMigrateCli(argv = process.argv.slice(2)): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('DATABASE_URL is required (postgresql://user:password@host:port/database)');
    process.exit(2);
  }
  const prismaDir = path.resolve(process.env.PRISMA_DIR ?? 'prisma');
  const log = process.env.MIGRATE_VERBOSE ? (line: string) => console.error(line) : undefined;
  try {
    if (argv[0] === 'create') {
      const name = argv[1];
      if (!name) throw new Error('usage: migrate create <name>');
      const folder = await createMigration({ databaseUrl, prismaDir, name, ...(log ? { log } : {}) });
      console.log(folder ? `created ${path.relative(process.cwd(), folder)}` : 'schema.prisma matches the migrations: nothing to create');
    } else {
      const applied = await applyMigrations({ databaseUrl, prismaDir, ...(log ? { log } : {}) });
      console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
    }
  } catch (error) {
    console.error(`migration failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
