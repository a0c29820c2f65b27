/**
 * A scratch database for the benchmark (and for trying the API suite before content-svc's
 * migrations exist): created from template0 (UTF8, C.UTF-8, as dailyfeed-shared/CONVENTIONS.md says), with
 * pg_trgm, member-svc's migrations, content-svc's migrations when they exist (else a stand-in
 * of the columns this service reads), and this service's migrations. Needs PG_ADMIN_URL.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from '../dailyfeed-shared/tools/prisma-migrate.ts';
import { applyOwnMigrations } from '../src/db/own-schema-migrations.ts';

const root = path.resolve(import.meta.dirname, '..');

const CONTENT_STAND_IN = `
CREATE SCHEMA IF NOT EXISTS content;
CREATE TABLE IF NOT EXISTS content.posts (
  id BIGSERIAL PRIMARY KEY, author_id BIGINT NOT NULL, title VARCHAR(200), content TEXT NOT NULL,
  image_ids BIGINT[] NOT NULL DEFAULT '{}', like_count INT NOT NULL DEFAULT 0, comment_count INT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(), updated_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(), deleted_at TIMESTAMPTZ(3));
CREATE TABLE IF NOT EXISTS content.comments (
  id BIGSERIAL PRIMARY KEY, post_id BIGINT NOT NULL, parent_id BIGINT, depth INT NOT NULL DEFAULT 0, author_id BIGINT NOT NULL,
  content TEXT NOT NULL, like_count INT NOT NULL DEFAULT 0, reply_count INT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(), updated_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(), deleted_at TIMESTAMPTZ(3));
CREATE TABLE IF NOT EXISTS content.post_likes (post_id BIGINT NOT NULL, member_id BIGINT NOT NULL, created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(), PRIMARY KEY (post_id, member_id));
CREATE TABLE IF NOT EXISTS content.comment_likes (comment_id BIGINT NOT NULL, member_id BIGINT NOT NULL, created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(), PRIMARY KEY (comment_id, member_id));
`;

/** Creates (if needed) and migrates the scratch database; returns its admin URL. */
export async function prepareScratchDatabase(adminUrl: string, name: string, log = (line: string) => console.error(line)): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  if (!exists) {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`);
    log(`created database ${name}`);
  }
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const scratchUrl = url.toString();
  const client = new pg.Client({ connectionString: scratchUrl });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public');
  await applyMigrations({ databaseUrl: scratchUrl, prismaDir: path.join(root, '../dailyfeed-member-svc/prisma') });
  const contentPrisma = path.join(root, '../dailyfeed-content-svc/prisma');
  const standIn = (await client.query(`SELECT to_regclass('content.posts') IS NOT NULL AND to_regclass('content._prisma_migrations') IS NULL AS yes`)).rows[0]?.yes === true;
  if (standIn) log('content tables are the stand-in of an earlier run: kept (drop the database to use content-svc migrations)');
  else if (existsSync(path.join(contentPrisma, 'migrations'))) await applyMigrations({ databaseUrl: scratchUrl, prismaDir: contentPrisma });
  else {
    log('content-svc has no migrations yet: using a stand-in of the columns search-svc reads');
    await client.query(CONTENT_STAND_IN);
  }
  await client.end();
  await applyOwnMigrations({ databaseUrl: scratchUrl, prismaDir: path.join(root, 'prisma') });
  return scratchUrl;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const adminUrl = process.env.PG_ADMIN_URL;
  if (!adminUrl) throw new Error('PG_ADMIN_URL is required');
  console.log(await prepareScratchDatabase(adminUrl, process.argv[2] ?? 'dailyfeed_search_scratch'));
}
