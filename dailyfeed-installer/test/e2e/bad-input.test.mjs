// Bad input, generated from each running service's own OpenAPI document (GET /docs/json):
// wrong types, missing and extra fields, huge strings, bad ids and cursors, malformed JSON,
// wrong content types, path tricks. api.md §1: never a 5xx for anything a client can send,
// and the process must still be alive afterwards. Counts are printed per service.
import { describe, expect, it } from 'vitest';
import { newMember } from './support/api.mjs';
import { pool, request } from './support/http.mjs';
import { API_PREFIXES, GATEWAY_URL, SERVICES, alive, pidOf, probeAll, serviceUrl, skipUnless } from './support/stack.mjs';

const HUGE = 'x'.repeat(100_000);
const OVERSIZED = `{"content":"${'y'.repeat(3 * 1024 * 1024)}"}`;
const BAD_IDS = ['abc', '-1', '0', '1.5', '1e3', '0x10', '99999999999999999999999999999', '%20', '%00', '%zz', 'null', 'undefined',
  "1'%20OR%20'1'='1", '..%2f..%2finternal', '%F0%9F%99%82', 'A'.repeat(3000), '[]', '%7B%7D'];
const BAD_QUERY = ['abc', '-1', '-0', '1e999', '1.5', '', '%zz', '%00', '[]', '{}', 'x'.repeat(8000), 'true', '999999999999999999999'];
const BAD_CURSORS = ['!!!', 'eyJ4IjoieSJ9', 'eyJ0IjoiMjAyNi0xMy0wMSIsImlkIjoiYWJjIn0', 'AAAA', `${'QUFB'.repeat(2000)}`, 'null', '%FF%FE', 'e30', 'W10', 'MTIz'];
const MALFORMED = ['{', '{"a":', '{"content": "x",}', '[1,2', 'nul', '{"a":1}{"b":2}', "{'a':1}", '\u0000', '{"a":"\\ud800"}', '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"a":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`];
const WRONG_ROOTS = ['null', '[]', '"text"', '123', 'true', '[{}]'];
const PATH_TRICKS = ['/%2e%2e/%2e%2e/etc/passwd', '/api/%00', '/api/posts/%', '/api/posts/%zz', `/${'a'.repeat(9000)}`, '//api//posts', '/api/posts/..%2f..%2finternal',
  `/api/posts?${'a=1&'.repeat(2000)}`, '/docs/../internal/auth/resolve', '/api/members/%F0%9F%99%82/profile', '/api/timeline/posts/%2e%2e', '/metrics/../docs/json'];

const stack = await probeAll();

const deref = (doc, schema, depth = 0) => {
  if (!schema || depth > 8) return schema ?? {};
  if (schema.$ref) {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], doc);
    return deref(doc, target, depth + 1);
  }
  return schema;
};

/** A value that should satisfy `schema` (best effort): the base the variants are made from. */
function sample(doc, raw, depth = 0) {
  const schema = deref(doc, raw);
  if (depth > 6) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const choice = schema.anyOf ?? schema.oneOf;
  if (choice) return sample(doc, choice.find((c) => deref(doc, c).type !== 'null') ?? choice[0], depth + 1);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => sample(doc, s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'email') return 'fuzz@example.com';
      if (schema.format === 'date') return '2000-01-01';
      if (schema.format === 'date-time') return '2000-01-01T00:00:00.000Z';
      if (schema.pattern && /\\d|0-9/.test(schema.pattern) && !/a-z/i.test(schema.pattern)) return '1';
      return 'Abc_1234!x'.padEnd(Math.max(schema.minLength ?? 1, 10), 'x').slice(0, schema.maxLength ?? 10);
    case 'integer': case 'number': return schema.minimum ?? 1;
    case 'boolean': return true;
    case 'array': return [];
    case 'object': case undefined: {
      const out = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) if ((schema.required ?? []).includes(k)) out[k] = sample(doc, v, depth + 1);
      return out;
    }
    default: return null;
  }
}

const wrongValuesFor = (schema) => {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  const values = [null, {}, [], true, HUGE, -1, 1.5, '\u0000', '<script>alert(1)</script>', { $gt: '' }];
  if (type === 'string') values.push(12345, 0);
  else values.push('abc', '12');
  return values;
};

/** Every bad request for one operation: [{method, path, body?, headers?, auth}]. */
function variantsOf(doc, path, method, op) {
  const out = [];
  const params = (op.parameters ?? []).map((p) => deref(doc, p));
  const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name);
  const fill = (p, overrides = {}) => p.replace(/\{([^}]+)\}/g, (_, name) => overrides[name] ?? '1');
  const base = fill(path);
  for (const name of pathParams) for (const bad of BAD_IDS) out.push({ path: fill(path, { [name]: bad }) });
  for (const q of params.filter((p) => p.in === 'query')) {
    const values = /cursor/i.test(q.name) ? [...BAD_CURSORS, ...BAD_QUERY] : BAD_QUERY;
    for (const bad of values) out.push({ path: `${base}?${q.name}=${bad}` });
    out.push({ path: `${base}?${q.name}=1&${q.name}=2` });
  }
  out.push({ path: `${base}?unknownParam=${HUGE.slice(0, 2000)}` });
  const content = op.requestBody ? deref(doc, op.requestBody).content ?? {} : {};
  const jsonSchema = content['application/json']?.schema ? deref(doc, content['application/json'].schema) : null;
  const hasBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);
  if (jsonSchema || (hasBody && !content['multipart/form-data'])) {
    const json = (b) => ({ path: base, body: typeof b === 'string' ? b : JSON.stringify(b), headers: { 'content-type': 'application/json' } });
    for (const m of [...MALFORMED, ...WRONG_ROOTS, '{}']) out.push(json(m));
    out.push({ path: base, body: OVERSIZED, headers: { 'content-type': 'application/json' } });
    out.push({ path: base, body: '{"content":"x"}', headers: { 'content-type': 'text/plain' } });
    out.push({ path: base, body: '<a>x</a>', headers: { 'content-type': 'application/xml' } });
    out.push({ path: base, body: '{"content":"x"}', headers: { 'content-type': 'application/json; charset=utf-16' } });
    out.push({ path: base, body: '', headers: { 'content-type': 'application/json' } });
    if (jsonSchema) {
      const valid = sample(doc, jsonSchema);
      out.push(json({ ...valid, extraField: 'x', another: { deep: [1, 2, 3] } }));
      for (const [prop, propSchema] of Object.entries(jsonSchema.properties ?? {})) {
        for (const wrong of wrongValuesFor(deref(doc, propSchema))) out.push(json({ ...valid, [prop]: wrong }));
        const { [prop]: _dropped, ...missing } = valid;
        out.push(json(missing));
      }
    }
  }
  if (content['multipart/form-data']) {
    const mp = (body, type) => ({ path: base, body, headers: { 'content-type': type } });
    out.push(mp('garbage', 'multipart/form-data; boundary=xyz'));
    out.push(mp('--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nnot a png\r\n--xyz--\r\n', 'multipart/form-data; boundary=xyz'));
    out.push(mp('--xyz\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--xyz--\r\n', 'multipart/form-data; boundary=xyz'));
    out.push(mp('--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xff\xff\xff\r\n--xyz--\r\n', 'multipart/form-data; boundary=xyz'));
    out.push(mp('', 'multipart/form-data'));
    out.push(mp('{"image":"x"}', 'application/json'));
    out.push(mp('--xyz\r\n', 'multipart/form-data; boundary=xyz'));
  }
  return out.map((v) => ({ method, ...v }));
}

const SESSION_KILLERS = /logout|deactivate/;

/** The service the gateway would send `path` to (after it resolves dot segments), or null. */
function routedService(path) {
  let pathname;
  try { pathname = new URL(path, 'http://gateway.local').pathname; } catch { return null; }
  for (const [svc, prefixes] of Object.entries(API_PREFIXES)) if (prefixes.some((p) => pathname.startsWith(p))) return svc;
  return null;
}

describe('bad input from each service\'s OpenAPI document: no 5xx, no crash', () => {
  for (const svc of SERVICES) {
    it(`${svc}-svc`, async (ctx) => {
      skipUnless(ctx, stack.need(svc === 'member' ? ['member'] : ['member', svc], { gateway: false }));
      const base = serviceUrl(svc);
      const docRes = await request(base, 'GET', '/docs/json');
      expect(docRes.status, `${svc}-svc /docs/json`).toBe(200);
      const doc = docRes.body;
      let token = (await newMember('fz')).token;
      const requests = [];
      for (const [path, item] of Object.entries(doc.paths ?? {})) {
        for (const [m, op] of Object.entries(item)) {
          const method = m.toUpperCase();
          if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
          for (const v of variantsOf(doc, path, method, op)) {
            requests.push({ ...v, auth: false });
            if (!SESSION_KILLERS.test(path)) requests.push({ ...v, auth: true });
          }
        }
      }
      for (const trick of PATH_TRICKS) for (const method of ['GET', 'POST']) requests.push({ method, path: trick, auth: true });
      const byStatus = {};
      const failures = [];
      const started = performance.now();
      await pool(requests, 6, async (r) => {
        let res;
        try {
          res = await request(base, r.method, r.path, { body: r.body, headers: r.headers, token: r.auth ? token : undefined, timeoutMs: 15_000 });
        } catch (error) {
          // a body the server refuses to read (e.g. 413 sent before the upload ends) may reset the socket
          if (r.body && r.body.length > 1024 * 1024 && /ECONNRESET|EPIPE|socket hang up/.test(error.message)) { byStatus.reset = (byStatus.reset ?? 0) + 1; return; }
          failures.push(`${r.method} ${r.path.slice(0, 120)}: ${error.message}`);
          return;
        }
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        if (res.status >= 500) failures.push(`${res.status} ${r.method} ${r.path.slice(0, 120)} body=${String(r.body ?? '').slice(0, 80)} -> ${res.text.slice(0, 200)}`);
        else if (res.status >= 400 && res.status !== 404 && res.status !== 414 && res.status !== 431 && res.body && res.body.result !== 'FAIL') {
          failures.push(`${res.status} without the error envelope: ${r.method} ${r.path.slice(0, 120)} -> ${res.text.slice(0, 200)}`);
        }
        if (res.status === 401 && r.auth && /logout|deactivate/.test(r.path) === false && token) {
          // our own token died (a handle change, say): get a fresh one for the rest
          const check = await request(serviceUrl('member'), 'GET', '/api/members/me', { token });
          if (check.status === 401) token = (await newMember('fz')).token;
        }
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const live = await request(base, 'GET', '/healthcheck/live').catch((e) => ({ status: 0, text: e.message }));
      const pid = pidOf(svc);
      const summary = Object.entries(byStatus).sort().map(([k, v]) => `${k}:${v}`).join(' ');
      console.log(`[measure] ${svc}-svc: ${requests.length} bad requests from ${Object.keys(doc.paths ?? {}).length} paths in ${seconds} s; statuses ${summary}; 5xx/transport failures ${failures.length}; live ${live.status}; pid ${pid ?? '?'} ${pid ? (alive(pid) ? 'alive' : 'DEAD') : ''}`);
      for (const f of failures.slice(0, 15)) console.log(`  [fail] ${f}`);
      expect(live.status, `${svc}-svc /healthcheck/live after the bad input`).toBe(200);
      if (pid) expect(alive(pid), `${svc}-svc pid ${pid} died`).toBe(true);
      expect(failures, `${failures.length} 5xx or broken answers`).toEqual([]);
    }, 300_000);
  }

  it('path tricks and malformed JSON through the gateway', async (ctx) => {
    skipUnless(ctx, stack.need(['member']));
    const failures = [];
    const byStatus = {};
    for (const path of [...PATH_TRICKS, '/api/members/%2e%2e/%2e%2e/healthcheck/ready', '/api/authentication/login/../../../metrics']) {
      const target = routedService(path);
      if (target && !stack.ready[target]) continue; // the gateway's 503 for a service that is down is right
      const res = await request(GATEWAY_URL, 'GET', path).catch((e) => ({ status: 0, text: e.message }));
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      if (res.status >= 500 || res.status === 0) failures.push(`${res.status} GET ${path.slice(0, 80)}: ${res.text.slice(0, 120)}`);
    }
    for (const m of MALFORMED) {
      const res = await request(GATEWAY_URL, 'POST', '/api/authentication/login', { body: m, headers: { 'content-type': 'application/json' } });
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      if (res.status !== 400) failures.push(`${res.status} for malformed JSON ${JSON.stringify(m).slice(0, 60)}: ${res.text.slice(0, 120)}`);
      else expect(res.body).toMatchObject({ status: 400, result: 'FAIL' });
    }
    console.log(`[measure] gateway: statuses ${JSON.stringify(byStatus)}; failures ${failures.length}`);
    expect(failures).toEqual([]);
  }, 60_000);
});
