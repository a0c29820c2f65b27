// Every built service refuses to start on a missing or malformed configuration value,
// with a message that names the variable and a non-zero exit, and never echoes a secret.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const services = ['member', 'content', 'image', 'timeline', 'search', 'activity'].map((name) => ({
  name,
  server: path.join(root, `dailyfeed-${name}-svc`, 'dist', 'server.js'),
}));

const start = (server, env) =>
  spawnSync(process.execPath, [server], {
    cwd: path.dirname(path.dirname(server)),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });

describe('services refuse a bad configuration', () => {
  for (const { name, server } of services) {
    const built = existsSync(server);
    if (!built) console.warn(`SKIPPED ${name}-svc: ${server} not built (run the README's test command)`);

    it.skipIf(!built)(`${name}-svc names a missing variable and exits non-zero`, () => {
      const result = start(server, {});
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/DATABASE_URL is required/);
    });

    it.skipIf(!built)(`${name}-svc names a malformed variable without echoing secrets`, () => {
      const result = start(server, {
        PORT: 'eighty',
        DATABASE_URL: 'mysql://root:hunter2@127.0.0.1/db',
        REDIS_URL: 'redis://127.0.0.1:6379',
        KAFKA_BROKERS: '127.0.0.1:9092',
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/PORT is malformed/);
      expect(result.stderr + result.stdout).not.toContain('hunter2');
    });
  }
});
