// A small HTTP client on node:http. Not fetch: fetch normalizes URLs (it would resolve
// `/api/posts/../../internal` before sending it), and the suites must send paths verbatim.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * request(base, method, path, {token, json, body, headers, timeoutMs})
 * -> {status, headers, text, body (parsed JSON or null), ms}
 * `json` is serialized; `body` (string | Buffer) is sent as is (with `headers` you choose).
 */
export function request(base, method, path, { token, json, body, headers = {}, timeoutMs = 15_000 } = {}) {
  const url = new URL(base);
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    h['content-type'] ??= 'application/json';
  }
  if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers: h, agent, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          const text = buffer.toString('utf8');
          let parsed = null;
          if (/json/.test(res.headers['content-type'] ?? '')) {
            try { parsed = JSON.parse(text); } catch { parsed = null; }
          }
          resolve({ status: res.statusCode, headers: res.headers, text, buffer, body: parsed, ms: performance.now() - started });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${path}`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A multipart/form-data body: fields {name: string | {filename, contentType, data}}. */
export function multipart(fields) {
  const boundary = `----dailyfeed${randomUUID().replace(/-/g, '')}`;
  const parts = [];
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    } else {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.contentType}\r\n\r\n`));
      parts.push(value.data, Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The value of cookie `name` in a response's Set-Cookie headers, with its attributes. */
export function cookieOf(res, name) {
  const list = [].concat(res.headers['set-cookie'] ?? []);
  for (const line of list) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const i = pair.indexOf('=');
    if (pair.slice(0, i) === name) return { value: pair.slice(i + 1), attrs: attrs.map((a) => a.toLowerCase()), raw: line };
  }
  return null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; returns {value, ms}. */
export async function pollUntil(fn, { timeoutMs = 5000, intervalMs = 100 } = {}) {
  const started = performance.now();
  let last;
  for (;;) {
    last = await fn();
    if (last) return { value: last, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) return { value: last, ms: performance.now() - started, timedOut: true };
    await sleep(intervalMs);
  }
}

export function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const runId = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
