// Exactly one copy of fastify, kafkajs and prom-client is loaded by each built service, and it
// is the one in that service's own node_modules (two copies would mean two registries of
// metrics, two fastify instances' plugin checks failing, two Kafka clients...). Each service's
// dist/server.js is started with a resolve hook recording every resolved module, on PORT=0,
// with the stack's environment, until it listens (or 5 s), then stopped.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runId } from './support/http.mjs';
import { SERVICES, serviceDir, skipUnless, stackEnv } from './support/stack.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const HOOK = path.join(here, 'support', 'record-resolutions.mjs');
const PACKAGES = ['fastify', 'kafkajs', 'prom-client'];
const LISTEN_WAIT_MS = 5000;

let env;
let envError;
try {
  env = await stackEnv();
} catch (error) {
  envError = `\`stack.sh env\` failed (is the infrastructure installed?): ${error.message.split('\n')[0]}`;
}

/** Starts the service with the hook; resolves when it listens, exits, or after 5 s. */
function startRecorded(svc, logFile) {
  const dir = serviceDir(svc);
  const childEnv = {
    ...env,
    DATABASE_URL: env[`DATABASE_URL_${svc.toUpperCase()}`],
    PORT: '0',
    HOST: '127.0.0.1',
    DAILYFEED_RESOLVE_LOG: logFile,
    // keep the running stack untouched: no topics created, no consumer group joined
    DAILYFEED_TOPIC_PREFIX: `e2e-copies-${runId()}-`,
    KAFKA_BROKERS: '127.0.0.1:9',
    LOG_LEVEL: 'info',
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', HOOK, 'dist/server.js'], { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const started = performance.now();
    const finish = (how) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const ms = Math.round(performance.now() - started);
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => { clearTimeout(killer); resolve({ how, ms, output }); });
      if (child.exitCode !== null || child.signalCode !== null) { clearTimeout(killer); resolve({ how, ms, output }); }
    };
    const onData = (chunk) => {
      output += chunk;
      if (/listening/i.test(output)) finish('listening');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => finish(`exited (${code ?? signal}) before listening`));
    const timer = setTimeout(() => finish(`no "listening" line in ${LISTEN_WAIT_MS} ms`), LISTEN_WAIT_MS);
  });
}

/** The distinct package roots (…/node_modules/<name>) of the resolved file URLs. */
function packageRoots(urls, name) {
  const roots = new Set();
  const marker = `/node_modules/${name}/`;
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = fileURLToPath(url);
    const i = file.lastIndexOf(marker);
    if (i >= 0) {
      const root = file.slice(0, i + marker.length - 1);
      roots.add(existsSync(root) ? realpathSync(root) : root);
    }
  }
  return [...roots];
}

describe('one copy of fastify, kafkajs and prom-client per service', () => {
  for (const svc of SERVICES) {
    it(`${svc}-svc`, async (ctx) => {
      skipUnless(ctx, envError ?? null);
      const dir = serviceDir(svc);
      skipUnless(ctx, existsSync(path.join(dir, 'dist', 'server.js')) ? null : `${dir}/dist/server.js is not built`);
      const tmp = mkdtempSync(path.join(tmpdir(), 'dailyfeed-resolve-'));
      try {
        const logFile = path.join(tmp, 'resolved.log');
        const run = await startRecorded(svc, logFile);
        const urls = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [];
        const declared = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
        const deps = { ...declared.dependencies, ...declared.devDependencies };
        const report = {};
        for (const name of PACKAGES) report[name] = packageRoots(urls, name).map((r) => path.relative(path.dirname(dir), r));
        console.log(`[measure] ${svc}-svc: ${run.how} after ${run.ms} ms; ${urls.length} resolutions; roots ${JSON.stringify(report)}`);
        expect(urls.length, `no resolution recorded; output:\n${run.output.slice(-1500)}`).toBeGreaterThan(0);
        for (const name of PACKAGES) {
          const roots = packageRoots(urls, name);
          const ownPath = path.join(dir, 'node_modules', name);
          const own = existsSync(ownPath) ? realpathSync(ownPath) : ownPath;
          if (roots.length === 0 && name === 'kafkajs') { // a service without events (image-svc) loads none: no duplicate either
            console.log(`[note] ${svc}-svc loads no ${name} at start-up (declared: ${Boolean(deps[name])})`);
            continue;
          }
          expect(roots, `${svc}-svc loads ${name} ${roots.length} times`).toHaveLength(1);
          expect(roots[0], `${svc}-svc loads ${name} from outside its node_modules`).toBe(own);
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }, 20_000);
  }
});
