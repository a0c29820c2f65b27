// The gateway scenario: requests/s of the same request sent through the local gateway and
// directly to the service, for each running service, plus a hello-world baseline (a bare
// node:http server, directly and behind a second gateway instance). Ratios, not assertions.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPost, follow, newMember, uploadImage } from '../test/e2e/support/api.mjs';
import { request } from '../test/e2e/support/http.mjs';
import { makePng } from '../test/e2e/support/data.mjs';
import { GATEWAY_URL, probeAll, serviceUrl } from '../test/e2e/support/stack.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SIZES = {
  small: { seconds: 3, connections: 10, posts: 30 },
  full: { seconds: 15, connections: 50, posts: 500 },
};

function child(script, env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(here, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    proc.stdout.once('data', (d) => resolve({ proc, port: Number(String(d).trim()) }));
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

async function measure(url, { seconds, connections }, headers = {}, extra = {}) {
  await autocannon({ url, duration: 1, connections, headers, ...extra }); // warm-up
  const r = await autocannon({ url, duration: seconds, connections, headers, ...extra });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, non2xx: r.non2xx };
}

/** -> {rows, notes}; rows: {suite, scenario, metric, value, baseline, baselineValue, ratio, p50, p99, errors} */
export async function runGatewayScenario(size, log = console.log) {
  const cfg = SIZES[size];
  const rows = [];
  const notes = [];
  const row = (scenario, m, baseline, b) => rows.push({
    suite: 'gateway', scenario, metric: 'req/s', value: m.rps, baseline, baselineValue: b.rps, ratio: b.rps ? m.rps / b.rps : null, p50: m.p50, p99: m.p99, errors: m.errors,
  });

  const hello = await child('hello.mjs');
  const helloGw = await child('hello-gateway.mjs', { HELLO_PORT: String(hello.port) });
  try {
    const direct = await measure(`http://127.0.0.1:${hello.port}/hello`, cfg);
    const viaGw = await measure(`http://127.0.0.1:${helloGw.port}/hello`, cfg);
    row('hello-world direct (baseline)', direct, 'hello-world direct', direct);
    row('hello-world through a gateway instance', viaGw, 'hello-world direct', direct);
    log(`[bench] hello-world: direct ${direct.rps.toFixed(0)} req/s, through the gateway ${viaGw.rps.toFixed(0)} req/s`);

    const stack = await probeAll();
    if (!stack.gatewayIsUp || !stack.ready.member) {
      notes.push(`gateway scenario of the services skipped: ${stack.need(['member'])}`);
      return { rows, notes, helloRps: direct.rps };
    }
    // the benchmark data set: a member with posts, a follower, an image
    const author = await newMember('bench');
    const reader = await newMember('benchr');
    await follow(reader, author);
    let imageId = null;
    if (stack.ready.content) for (let i = 0; i < cfg.posts; i++) await createPost(author, `bench post ${i} of ${author.handle}`);
    if (stack.ready.image) {
      const up = await uploadImage(author, await makePng(64, 64));
      if (up.status === 201) imageId = up.body.data.id;
    }
    const auth = { authorization: `Bearer ${reader.token}` };
    const scenarios = [
      ['member', 'GET /api/members/me', '/api/members/me', auth],
      ['timeline', 'GET /api/timeline/posts/followings', '/api/timeline/posts/followings?size=20', auth],
      ['timeline', 'GET /api/timeline/posts/most-popular', '/api/timeline/posts/most-popular?size=20', auth],
      ['search', 'GET /api/search/posts?keyword=bench', '/api/search/posts?keyword=bench&size=20', auth],
      ['activity', 'GET /api/member-activities/followings', '/api/member-activities/followings?size=20', auth],
      ['image', 'GET /api/images/view/{id}?variant=thumbnail', imageId ? `/api/images/view/${imageId}?variant=thumbnail` : null, {}],
      ['content', 'POST /api/posts (writes)', '/api/posts', { authorization: `Bearer ${author.token}`, 'content-type': 'application/json' },
        { method: 'POST', body: JSON.stringify({ content: `bench write by ${author.handle}` }) }],
    ];
    for (const [svc, name, path, headers, extra = {}] of scenarios) {
      if (!stack.ready[svc] || !path) { notes.push(`${name}: skipped (${svc}-svc not up${path ? '' : ' or no image'})`); continue; }
      const check = await request(GATEWAY_URL, extra.method ?? 'GET', path, { headers, body: extra.body });
      if (check.status !== 200 && check.status !== 201) { notes.push(`${name}: skipped, answers ${check.status} ${check.text.slice(0, 120)}`); continue; }
      const d = await measure(`${serviceUrl(svc)}${path}`, cfg, headers, extra);
      const g = await measure(`${GATEWAY_URL}${path}`, cfg, headers, extra);
      row(`${svc}: ${name} direct`, d, 'hello-world direct', direct);
      row(`${svc}: ${name} via gateway`, g, `${svc}: ${name} direct`, d);
      log(`[bench] ${svc} ${name}: direct ${d.rps.toFixed(0)} req/s, via gateway ${g.rps.toFixed(0)} req/s (${(g.rps / d.rps).toFixed(3)})`);
    }
    return { rows, notes, helloRps: direct.rps };
  } finally {
    hello.proc.kill('SIGTERM');
    helloGw.proc.kill('SIGTERM');
  }
}
