/**
 * Applying migrations with the shared WebAssembly engine fails on a fresh database when
 * schema.prisma lists other services' schemas that already hold tables not declared external
 * (member's `_prisma_migrations`, `signing_keys`, ...): the engine finds a "non-empty" database,
 * never creates `search._prisma_migrations` and stops with "Invariant violation: migration
 * persistence is not initialized" (reproduced 2026-11-28; reported to the lead). Listing every
 * table of every other schema as external would break whenever another service adds one.
 *
 * So applying uses a copy of prisma/ whose schema.prisma keeps only this service's schema and
 * models (the read-only models of `member` and `content` are dropped); the migrations folder is
 * the same files, so names and checksums in `_prisma_migrations` are identical.
 * `migrate:create` still diffs the full schema.prisma (external tables filtered).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations, ownSchemaOf } from '../../dailyfeed-shared/tools/prisma-migrate.ts';

export function ownSchemaDatamodel(schemaPrisma: string): string {
  const own = ownSchemaOf(schemaPrisma);
  const withoutForeignModels = schemaPrisma.replace(/^model\s+\w+\s*\{[^}]*\}\s*$/gm, (block) => {
    const schema = /@@schema\("([^"]+)"\)/.exec(block)?.[1];
    return schema === undefined || schema === own ? block : '';
  });
  return withoutForeignModels.replace(/schemas\s*=\s*\[[^\]]*\]/, `schemas = ["${own}"]`);
}

export async function applyOwnMigrations(options: { databaseUrl: string; prismaDir: string; log?: (line: string) => void }): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'search-svc-prisma-'));
  try {
    await cp(path.join(options.prismaDir, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
    const schema = await readFile(path.join(options.prismaDir, 'schema.prisma'), 'utf8');
    await writeFile(path.join(dir, 'schema.prisma'), ownSchemaDatamodel(schema));
    return await applyMigrations({ databaseUrl: options.databaseUrl, prismaDir: dir, ...(options.log ? { log: options.log } : {}) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
