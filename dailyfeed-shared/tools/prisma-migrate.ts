/**
 * Prisma migrations without Prisma's download host: the schema engine compiled to
 * WebAssembly (@prisma/schema-engine-wasm) driven through the pg driver adapter.
 * `applyMigrations` applies prisma/migrations/* and records them in `_prisma_migrations`,
 * the table `prisma migrate deploy` uses, so a cluster with network access can use the CLI.
 * Build tooling shared by every data-owning service, like a Makefile: no business logic.
 */
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

export interface MigrateOptions {
  databaseUrl: string;
  /** Folder holding schema.prisma, migrations/ and (optionally) external-tables.json. */
  prismaDir: string;
  log?: (line: string) => void;
}

type Engine = {
  applyMigrations(input: unknown): Promise<{ appliedMigrationNames: string[] }>;
  diff(input: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
};

type EngineModule = { SchemaEngine: { new: (options: unknown, log: (line: string) => void, adapter: object) => Promise<Engine> } };
let engineModule: Promise<EngineModule> | undefined;
/** Instantiated once per process: the bindings module keeps one wasm instance. */
const loadEngineModule = (): Promise<EngineModule> => (engineModule ??= instantiateEngineModule());

async function instantiateEngineModule(): Promise<EngineModule> {
  // Node's ESM loader cannot import the package's .wasm directly: instantiate it by hand.
  const require = createRequire(import.meta.url);
  const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bg = (await import(bgPath)) as Record<string, unknown> & { __wbg_set_wasm(exports: unknown): void };
  const wasmBytes = await readFile(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(wasmBytes, { './schema_engine_bg.js': bg as WebAssembly.ModuleImports });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
  return bg as unknown as EngineModule;
}

/** pg lets `connectionString` win over `database`, which would point the shadow database at the real one. */
function poolConfigOf(databaseUrl: string, schema: string) {
  const url = new URL(databaseUrl);
  return {
    options: `-c search_path="${schema}",public`,
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, ''),
  };
}

/** The first entry of the datasource's `schemas`: the schema this service owns and migrates. */
export function ownSchemaOf(schemaPrisma: string): string {
  const match = /schemas\s*=\s*\[\s*"([^"]+)"/.exec(schemaPrisma);
  if (!match?.[1]) throw new Error('schema.prisma must list the service schema first in datasource `schemas`');
  return match[1];
}

/**
 * The adapter's own shadow database is dropped before its pool ends, which PostgreSQL
 * refuses while connections are open: end the shadow pool first, then drop (FORCE).
 */
class ShadowSafePrismaPg extends PrismaPg {
  constructor(
    private readonly poolConfig: ReturnType<typeof poolConfigOf>,
    options?: { schema: string },
  ) {
    super(poolConfig, options);
  }

  override async connectToShadowDb() {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg({ ...this.poolConfig, database }).connect();
    const endShadowPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await endShadowPool();
      await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await main.dispose();
    };
    return shadow;
  }
}

async function readSchema(prismaDir: string) {
  const schemaPath = path.join(prismaDir, 'schema.prisma');
  return { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
}

async function readExternalTables(prismaDir: string): Promise<string[]> {
  const file = path.join(prismaDir, 'external-tables.json');
  if (!existsSync(file)) return [];
  return JSON.parse(await readFile(file, 'utf8')) as string[];
}

async function readMigrationsList(prismaDir: string) {
  const baseDir = path.join(prismaDir, 'migrations');
  await mkdir(baseDir, { recursive: true });
  const entries = (await readdir(baseDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const migrationDirectories = await Promise.all(
    entries.map(async (name) => {
      const file = path.join(baseDir, name, 'migration.sql');
      const content = existsSync(file)
        ? { tag: 'ok' as const, value: await readFile(file, 'utf8') }
        : { tag: 'error' as const, value: `missing ${file}` };
      return { path: name, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  const lockPath = path.join(baseDir, 'migration_lock.toml');
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

async function withEngine<T>(options: MigrateOptions & { ownSchemaTable?: boolean }, fn: (engine: Engine, filters: { externalTables: string[]; externalEnums: string[] }) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await readSchema(options.prismaDir);
  // `_prisma_migrations` lives in the service's own schema, so six services share one database
  // without sharing (and tripping over) one migrations table.
  const ownSchema = ownSchemaOf(schema.content);
  // Applying: the schema option puts `_prisma_migrations` in the service's own schema.
  // Diffing: without it the engine writes schema-qualified SQL, which is what we commit.
  const adapter = bindMigrationAwareSqlAdapterFactory(
    new ShadowSafePrismaPg(poolConfigOf(options.databaseUrl, ownSchema), options.ownSchemaTable ? { schema: ownSchema } : undefined),
  );
  const log = options.log ?? (() => undefined);
  const engine = await SchemaEngine.new({ datamodels: [[schema.path, schema.content]] }, (line: string) => log(line), adapter);
  try {
    return await fn(engine, { externalTables: await readExternalTables(options.prismaDir), externalEnums: [] });
  } finally {
    engine.free();
  }
}

/** Applies every migration not yet recorded; a second run is a no-op. Returns the names applied. */
export async function applyMigrations(options: MigrateOptions): Promise<string[]> {
  return withEngine({ ...options, ownSchemaTable: true }, async (engine, filters) => {
    const migrationsList = await readMigrationsList(options.prismaDir);
    const output = await engine.applyMigrations({ migrationsList, filters });
    return output.appliedMigrationNames;
  });
}

const SNAPSHOT = 'schema.prisma';

/**
 * Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes the
 * datamodel of the latest migration (the schema.prisma snapshot kept beside its SQL) to the
 * current schema.prisma: no database needed. A migration folder without a snapshot (made by
 * hand or by the Prisma CLI) falls back to replaying the migrations in a throwaway shadow
 * database, for which the URL's role needs CREATEDB. Returns the folder, or null when there
 * is nothing to change.
 */
export async function createMigration(options: MigrateOptions & { name: string }): Promise<string | null> {
  return withEngine(options, async (engine, filters) => {
    const migrationsList = await readMigrationsList(options.prismaDir);
    const schema = await readSchema(options.prismaDir);
    const latest = migrationsList.migrationDirectories.at(-1);
    const snapshotPath = latest ? path.join(migrationsList.baseDir, latest.path, SNAPSHOT) : undefined;
    const from = !latest
      ? { tag: 'empty' }
      : snapshotPath && existsSync(snapshotPath)
        ? { tag: 'schemaDatamodel', files: [{ path: snapshotPath, content: await readFile(snapshotPath, 'utf8') }] }
        : { tag: 'migrations', ...migrationsList };
    const result = await engine.diff({ from, to: { tag: 'schemaDatamodel', files: [schema] }, script: true, exitCode: null, filters });
    const sql = result.stdout ?? '';
    if (sql.trim() === '' || /^-- This is an empty migration\.\s*$/.test(sql.trim())) return null;
    const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
    const folder = path.join(migrationsList.baseDir, `${stamp}_${options.name.replace(/[^A-Za-z0-9_]/g, '_')}`);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'migration.sql'), sql);
    await writeFile(path.join(folder, SNAPSHOT), schema.content);
    const lockPath = path.join(migrationsList.baseDir, 'migration_lock.toml');
    if (!existsSync(lockPath)) await writeFile(lockPath, '# Please do not edit this file manually\nprovider = "postgresql"\n');
    return folder;
  });
}
