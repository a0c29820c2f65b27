import { defineConfig, env } from 'prisma/config';
import externalTables from './prisma/external-tables.json' with { type: 'json' };

// content.* and member.* are other services' tables, mapped read-only: declared external,
// so this service's migrations never create, alter or drop them.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: env('DATABASE_URL') },
  experimental: { externalTables: true },
  tables: { external: externalTables },
});
