#!/usr/bin/env node
// `prisma generate` offline. The CLI wants a native schema engine it would download;
// generating the query-compiler client needs none, so point it at an executable that
// exists (node itself) and it never reaches for the network.
import { spawnSync } from 'node:child_process';

const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
    // generate does not connect; prisma.config.ts still reads the variable.
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://generate:generate@127.0.0.1:5432/generate',
  },
});
process.exit(result.status ?? 1);
