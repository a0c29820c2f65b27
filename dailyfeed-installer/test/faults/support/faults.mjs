// Helpers of the fault suites: stopping and restarting parts of the running stack, writing
// load through the gateway, and counting what each read store shows.
import { randomBytes, randomUUID } from 'node:crypto';
import { countIds, get, listAll } from '../../e2e/support/api.mjs';
import { percentile, pollUntil, sleep } from '../../e2e/support/http.mjs';
import { alive, pidOf, serviceReady, stackSh } from '../../e2e/support/stack.mjs';

export const envNumber = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

export async function waitDead(pid, timeoutMs = 15_000) {
  const r = await pollUntil(() => !alive(pid), { timeoutMs, intervalMs: 50 });
  return !r.timedOut;
}

/** SIGKILL the service's process (pid file of stack.sh); resolves when it is gone. */
export async function killService(svc) {
  const pid = pidOf(svc);
  if (!pid || !alive(pid)) throw new Error(`${svc}-svc is not running`);
  process.kill(pid, 'SIGKILL');
  await waitDead(pid);
  return pid;
}

/** SIGTERM, then SIGKILL after 10 s: the service is stopped as an operator would. */
export async function stopService(svc) {
  const pid = pidOf(svc);
  if (!pid || !alive(pid)) return null;
  process.kill(pid, 'SIGTERM');
  if (!(await waitDead(pid, 10_000))) {
    process.kill(pid, 'SIGKILL');
    await waitDead(pid);
  }
  return pid;
}

/** `stack.sh restart-service <svc>` (it waits until ready); returns the ms it took. */
export async function restartService(svc) {
  const started = performance.now();
  await stackSh('restart-service', svc);
  return Math.round(performance.now() - started);
}

/** Makes sure the service runs (the `finally` of every fault): restarts it when it is not ready. */
export async function ensureService(svc) {
  if (await serviceReady(svc)) return;
  await restartService(svc);
}

/** A JWT-shaped token nobody issued, with a fresh jti: no cache can answer it. */
export function forgedToken() {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'EdDSA', typ: 'JWT', kid: 'forged' })}.${b64({ sub: '1', jti: randomUUID(), iat: now, exp: now + 600 })}.${randomBytes(64).toString('base64url')}`;
}

export const stats = (values) => {
  const v = values.filter((x) => Number.isFinite(x));
  return { n: v.length, p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)), max: Math.round(Math.max(...v)) };
};

/**
 * Runs `count` writes, paced to spread over `spreadMs`, at most `limit` in flight.
 * write(i) -> {status, ...}; returns {results, latencies}.
 */
export async function pacedWrites(count, spreadMs, limit, write) {
  const results = new Array(count);
  const latencies = [];
  const interval = spreadMs / count;
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const t = performance.now();
      try {
        results[i] = await write(i);
      } catch (error) {
        results[i] = { status: 0, error: error.message };
      }
      latencies.push(performance.now() - t);
    }
  }));
  return { results, latencies, ms: performance.now() - started };
}

/** Each store's view: counts of the given ids. */
export const feedCounts = async (who, ids) => countIds(await listAll('/api/timeline/posts/followings', who.token, { maxPages: 200 }), ids);
export const ownPostCounts = async (who, ids) => countIds(await listAll('/api/timeline/posts', who.token, { maxPages: 200 }), ids);
export const searchCounts = async (who, word, ids) => countIds(await listAll(`/api/search/posts?keyword=${word}`, who.token, { maxPages: 200 }), ids);

/** Activities of `who` (me) counted by `${type}:${subject id}`. */
export async function activityCounts(who) {
  const items = await listAll('/api/member-activities/me', who.token, { maxPages: 300 });
  const counts = new Map();
  for (const a of items) {
    const key = `${a.type}:${a.commentId ?? a.postId ?? a.targetMemberId ?? ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** {complete: every id at least once, exact: every id exactly once, missing, twice} */
export function judge(counts, ids) {
  const missing = ids.filter((id) => !counts.get(String(id)));
  const twice = ids.filter((id) => (counts.get(String(id)) ?? 0) > 1);
  return { complete: missing.length === 0, exact: missing.length === 0 && twice.length === 0, missing, twice };
}

/** Polls `check` (-> {ok, detail}) until ok or deadline; returns {ok, ms, detail}. */
export async function converge(check, timeoutMs, intervalMs = 1000) {
  const started = performance.now();
  let last = { ok: false, detail: 'not checked' };
  for (;;) {
    try {
      last = await check();
    } catch (error) {
      last = { ok: false, detail: error.message };
    }
    if (last.ok || performance.now() - started > timeoutMs) return { ...last, ms: Math.round(performance.now() - started) };
    await sleep(intervalMs);
  }
}

export async function statistics(who, postId) {
  const res = await get(`/api/timeline/statistics/posts/${postId}`, who.token);
  return res.status === 200 ? res.body.data : null;
}
