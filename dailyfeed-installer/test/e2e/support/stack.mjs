// Where the local stack is and what runs in it, as the suites see it from outside: the
// gateway URL, each service's port (the same env variables and defaults as local/stack.sh),
// readiness probes, and the stack's own commands (stack.sh, infra.sh) for the fault suites.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from './http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const INSTALLER_DIR = path.resolve(here, '..', '..', '..');
export const ROOT_DIR = path.resolve(INSTALLER_DIR, '..');
export const STACK_SH = path.join(INSTALLER_DIR, 'local', 'stack.sh');
export const INFRA_SH = path.join(INSTALLER_DIR, 'local', 'infra.sh');
export const STATE_DIR = process.env.DAILYFEED_HOME ?? path.join(homedir(), '.dailyfeed');
export const RUN_DIR = path.join(STATE_DIR, 'run');

export const SERVICES = ['member', 'content', 'timeline', 'image', 'search', 'activity'];
const DEFAULT_PORTS = { member: 8081, content: 8082, timeline: 8083, image: 8084, search: 8085, activity: 8086 };

export const portOf = (svc) => Number(process.env[`DAILYFEED_${svc.toUpperCase()}_PORT`] ?? DEFAULT_PORTS[svc]);
export const serviceUrl = (svc) => `http://127.0.0.1:${portOf(svc)}`;
export const serviceDir = (svc) => path.join(ROOT_DIR, `dailyfeed-${svc}-svc`);
export const GATEWAY_URL = (process.env.DAILYFEED_GATEWAY_URL
  ?? `http://127.0.0.1:${process.env.DAILYFEED_GATEWAY_PORT ?? 8080}`).replace(/\/$/, '');

/** The gateway prefixes of api.md §1 (written from the spec, not from routes.json: black-box). */
export const API_PREFIXES = {
  member: ['/api/authentication', '/api/token', '/api/members', '/.well-known/jwks.json'],
  content: ['/api/posts', '/api/comments'],
  timeline: ['/api/timeline'],
  image: ['/api/images'],
  search: ['/api/search'],
  activity: ['/api/member-activities'],
};

/** true when GET <svc>/healthcheck/ready answers 200 on the service's own port. */
export async function serviceReady(svc, timeoutMs = 1500) {
  try {
    const res = await request(serviceUrl(svc), 'GET', '/healthcheck/ready', { timeoutMs });
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function gatewayUp(timeoutMs = 1500) {
  try {
    const res = await request(GATEWAY_URL, 'GET', '/__dailyfeed_probe__', { timeoutMs });
    return res.status > 0;
  } catch {
    return false;
  }
}

/** {svc: boolean} for every service, probed in parallel. */
export async function readiness() {
  const entries = await Promise.all(SERVICES.map(async (svc) => [svc, await serviceReady(svc)]));
  return Object.fromEntries(entries);
}

/**
 * The reason a test that needs `needed` services (and the gateway unless `gateway: false`)
 * must skip, or null when all are up. The reason is printed so that a skip is never silent.
 */
export function missingReason(ready, needed, { gateway = true, gatewayIsUp = true } = {}) {
  const down = needed.filter((svc) => !ready[svc]);
  const parts = [];
  if (gateway && !gatewayIsUp) parts.push(`the gateway ${GATEWAY_URL} does not answer`);
  if (down.length) parts.push(`not ready: ${down.map((s) => `${s}-svc (${serviceUrl(s)}/healthcheck/ready)`).join(', ')}`);
  return parts.length ? parts.join('; ') : null;
}

export async function probeAll() {
  const [ready, gw] = await Promise.all([readiness(), gatewayUp()]);
  const line = SERVICES.map((s) => `${s}=${ready[s] ? 'up' : 'DOWN'}`).join(' ');
  console.log(`[stack] gateway ${GATEWAY_URL} ${gw ? 'up' : 'DOWN'}; ${line}`);
  return { ready, gatewayIsUp: gw, need: (svcs, opts = {}) => missingReason(ready, svcs, { gatewayIsUp: gw, ...opts }) };
}

/** Skips the running test with a printed reason when `reason` is set. */
export function skipUnless(ctx, reason, what = ctx.task?.name) {
  if (!reason) return;
  console.log(`[skip] ${what}: ${reason}`);
  ctx.skip(reason);
}

export function run(cmd, args, { timeoutMs = 300_000, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: INSTALLER_DIR, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        error.message += `\n${stderr.toString().split('\n').slice(-20).join('\n')}`;
        reject(error);
      } else resolve({ stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

export const stackSh = (...args) => run('bash', [STACK_SH, ...args]);
export const infraSh = (...args) => run('bash', [INFRA_SH, ...args]);

export function pidOf(svc) {
  const file = path.join(RUN_DIR, `${svc}-svc.pid`);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The services' environment as `stack.sh env` prints it (secrets: never print this). */
let stackEnvCache;
export async function stackEnv() {
  if (stackEnvCache) return stackEnvCache;
  const { stdout } = await run('bash', ['-c', `eval "$(bash '${STACK_SH}' env)" && env -0`]);
  const env = {};
  for (const entry of stdout.split('\0')) {
    const i = entry.indexOf('=');
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  stackEnvCache = env;
  return env;
}
