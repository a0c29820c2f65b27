// The offline migration tooling against a real PostgreSQL: a migration created from a
// schema change, applied to an empty database, applied again as a no-op, recorded in the
// service's own schema; external tables never touched.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations, createMigration } from '../../tools/prisma-migrate.ts';
import { missingServers, runId } from '../../testing/servers.ts';

const adminUrl = process.env.PG_TEST_URL ?? process.env.PG_ADMIN_URL;
const missing = adminUrl ? await missingServers(['postgres'], { DATABASE_URL: adminUrl }) : 'SKIPPED: PG_TEST_URL (a role that may CREATE DATABASE) is not set';
if (!adminUrl) console.warn(missing);

const schemaV1 = `
datasource db {
  provider = "postgresql"
  schemas  = ["widgets", "other"]
}
model Widget {
  id   BigInt @id @default(autoincrement())
  name String
  @@map("widgets")
  @@schema("widgets")
}
model Foreign {
  id BigInt @id
  @@map("foreign_things")
  @@schema("other")
}
`;
const schemaV2 = schemaV1.replace('  name String\n', '  name String\n  color String?\n');

describe.skipIf(missing)('offline prisma migrations', () => {
  const database = `migrate_test_${runId()}`;
  let dbUrl: string;
  let prismaDir: string;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(adminUrl!);
    url.pathname = `/${database}`;
    dbUrl = url.toString();
    // The external table exists, owned by "another service".
    const other = new pg.Client({ connectionString: dbUrl });
    await other.connect();
    await other.query('CREATE SCHEMA other; CREATE TABLE other.foreign_things (id bigint primary key, extra text)');
    await other.end();
    prismaDir = mkdtempSync(path.join(tmpdir(), 'prisma-'));
    writeFileSync(path.join(prismaDir, 'schema.prisma'), schemaV1);
    writeFileSync(path.join(prismaDir, 'external-tables.json'), JSON.stringify(['other.foreign_things']));
  }, 60_000);

  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
    if (prismaDir) rmSync(prismaDir, { recursive: true, force: true });
  });

  it('creates, applies, and re-applies as a no-op', async () => {
    const first = await createMigration({ databaseUrl: adminUrl!, prismaDir, name: 'init' });
    expect(first).not.toBeNull();
    const sql = readFileSync(path.join(first!, 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "widgets"."widgets"');
    expect(sql).not.toContain('foreign_things');

    expect(await applyMigrations({ databaseUrl: dbUrl, prismaDir })).toEqual([path.basename(first!)]);
    expect(await applyMigrations({ databaseUrl: dbUrl, prismaDir })).toEqual([]);

    const check = new pg.Client({ connectionString: dbUrl });
    await check.connect();
    const recorded = await check.query(`SELECT migration_name FROM widgets._prisma_migrations WHERE finished_at IS NOT NULL`);
    expect(recorded.rows.map((row) => row.migration_name)).toEqual([path.basename(first!)]);
    const foreign = await check.query(`SELECT column_name FROM information_schema.columns WHERE table_schema='other' AND table_name='foreign_things' ORDER BY 1`);
    expect(foreign.rows.map((row) => row.column_name)).toEqual(['extra', 'id']);
    await check.end();
  }, 60_000);

  it('creates a second migration from a schema change, and nothing when nothing changed', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // migration folders are stamped to the second
    writeFileSync(path.join(prismaDir, 'schema.prisma'), schemaV2);
    const second = await createMigration({ databaseUrl: adminUrl!, prismaDir, name: 'add color' });
    expect(readFileSync(path.join(second!, 'migration.sql'), 'utf8')).toMatch(/ADD COLUMN\s+"color"/);
    expect(await applyMigrations({ databaseUrl: dbUrl, prismaDir })).toEqual([path.basename(second!)]);
    expect(await createMigration({ databaseUrl: adminUrl!, prismaDir, name: 'nothing' })).toBeNull();
    expect(readdirSync(path.join(prismaDir, 'migrations')).filter((name) => name !== 'migration_lock.toml')).toHaveLength(2);
  }, 60_000);
});
