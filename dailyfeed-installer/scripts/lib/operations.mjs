// Reads the numbers of shared/spec/operations.md (sections 1-3) into one plain object,
// the shape of config/operations-values.json (the committed copy the generators use).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INSTALLER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VALUES_FILE = join(INSTALLER_DIR, 'config', 'operations-values.json');

/** Where operations.md may be: $DAILYFEED_SPEC_DIR, shared/ beside the repo root (monorepo, CI), or beside the installer repo. */
export function findOperationsMd() {
  const candidates = [
    process.env.DAILYFEED_SPEC_DIR && join(process.env.DAILYFEED_SPEC_DIR, 'operations.md'),
    join(INSTALLER_DIR, '..', '..', 'shared', 'spec', 'operations.md'),
    join(INSTALLER_DIR, '..', 'shared', 'spec', 'operations.md'),
  ].filter(Boolean);
  return candidates.find((p) => existsSync(p)) ?? null;
}

export function loadCommittedValues() {
  return JSON.parse(readFileSync(VALUES_FILE, 'utf8'));
}

function section(md, n) {
  const re = new RegExp(`^## ${n}\\.[^\\n]*\\n([\\s\\S]*?)(?=^## \\d+\\.|(?![\\s\\S]))`, 'm');
  const m = md.match(re);
  if (!m) throw new Error(`operations.md: section ${n} not found`);
  return m[1];
}

/** The first markdown table of a section: {cols: [...], rows: {rowName: {col: cell}}}. */
function table(text) {
  const lines = text.split('\n').filter((l) => l.trim().startsWith('|'));
  if (lines.length < 3) throw new Error('operations.md: table not found');
  const cells = (l) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  const cols = cells(lines[0]).slice(1);
  const rows = {};
  for (const l of lines.slice(2)) {
    const [name, ...vals] = cells(l);
    rows[name] = Object.fromEntries(cols.map((c, i) => [c, vals[i]]));
  }
  return { cols, rows };
}

const SERVICES = ['member', 'content', 'timeline', 'image', 'search', 'activity'];
const strip = (s) => s.replace(/`/g, '').trim();
const num = (s) => {
  const n = Number(strip(s));
  if (!Number.isFinite(n)) throw new Error(`operations.md: not a number: ${s}`);
  return n;
};

/** "same" = the column before; "same as X" = column X. */
function resolveSame(rowByCol, cols) {
  const out = {};
  for (const c of cols) {
    const v = strip(rowByCol[c]);
    const m = v.match(/^same as (\w+)$/);
    if (m) out[c] = out[m[1]];
    else if (v === 'same') out[c] = out[cols[cols.indexOf(c) - 1]];
    else out[c] = v;
    if (out[c] === undefined) throw new Error(`operations.md: cannot resolve "${v}" in column ${c}`);
  }
  return out;
}

function parseVirtualServices(text) {
  const { cols, rows } = table(text);
  const get = (r) => resolveSame(rows[r], cols);
  const timeout = get('timeout');
  const attempts = get('retries.attempts');
  const perTry = get('retries.perTryTimeout');
  const retryOn = get('retries.retryOn');
  const remote = get('retries.retryRemoteLocalities');
  const writeRetryOn = text.match(/retries only on `([^`]+)`/)?.[1];
  if (!writeRetryOn) throw new Error('operations.md §1: write retryOn not found');
  const out = {};
  for (const s of SERVICES) {
    out[s] = {
      timeout: timeout[s],
      attempts: num(attempts[s]),
      perTryTimeout: perTry[s],
      retryOn: retryOn[s],
      retryRemoteLocalities: remote[s] === 'true',
    };
  }
  return { perService: out, readMethods: ['GET', 'HEAD'], writeMethods: ['POST', 'PUT', 'PATCH', 'DELETE'], writeRetryOn };
}

function parseDestinationRules(text) {
  const pick = (re, what) => {
    const m = text.match(re);
    if (!m) throw new Error(`operations.md §2: ${what} not found`);
    return m;
  };
  const ka = pick(/tcpKeepalive \{time: (\w+), interval: (\w+), probes: (\d+)\}/, 'tcpKeepalive');
  const od = pick(/outlierDetection `([^`]+)`/, 'outlierDetection')[1].replace(/\s+/g, ' ');
  const outlierDetection = {};
  for (const part of od.split(',')) {
    const [k, v] = part.split(':').map((x) => x.trim());
    outlierDetection[k] = /^\d+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  const common = {
    loadBalancer: pick(/loadBalancer\.simple: (\w+)/, 'loadBalancer')[1],
    connectTimeout: pick(/connectTimeout: (\w+)/, 'connectTimeout')[1],
    tcpKeepalive: { time: ka[1], interval: ka[2], probes: Number(ka[3]) },
    h2UpgradePolicy: pick(/h2UpgradePolicy: (\w+)/, 'h2UpgradePolicy')[1],
    outlierDetection,
    subset: pick(/subset `(\w+)` \(label `version: (\w+)`/, 'subset').slice(1, 3),
  };
  common.subset = { name: common.subset[0], labels: { version: common.subset[1] } };
  const { cols, rows } = table(text);
  const perService = {};
  for (const s of SERVICES) {
    const v = (r) => strip(rows[r][s]);
    perService[s] = {
      maxConnections: num(v('tcp.maxConnections')),
      http1MaxPendingRequests: num(v('http.http1MaxPendingRequests')),
      http2MaxRequests: num(v('http.http2MaxRequests')),
      maxRequestsPerConnection: num(v('http.maxRequestsPerConnection')),
      maxRetries: num(v('http.maxRetries')),
      idleTimeout: v('http.idleTimeout'),
    };
  }
  void cols;
  return { common, perService };
}

function parseScale(s) {
  // "window 60s; max(50%, 2 pods) / 60s"
  const m = strip(s).match(/^window (\d+)s; (max|min)\((\d+)%, (\d+) pods\) \/ (\d+)s$/);
  if (!m) throw new Error(`operations.md §3: cannot read scaling rule "${s}"`);
  return {
    stabilizationWindowSeconds: Number(m[1]),
    selectPolicy: m[2] === 'max' ? 'Max' : 'Min',
    percent: Number(m[3]),
    pods: Number(m[4]),
    periodSeconds: Number(m[5]),
  };
}

function parseHpa(text) {
  const { rows } = table(text);
  const byService = {};
  for (const [name, row] of Object.entries(rows)) byService[name.split(/\s+/)[0]] = row;
  const out = {};
  const first = byService.member;
  for (const s of SERVICES) {
    const r = byService[s];
    if (!r) throw new Error(`operations.md §3: no row for ${s}`);
    const up = strip(r['scale up']) === 'same' ? first['scale up'] : r['scale up'];
    const down = strip(r['scale down']) === 'same' ? first['scale down'] : r['scale down'];
    out[s] = {
      minReplicas: num(r.min),
      maxReplicas: num(r.max),
      cpuUtilization: num(r['CPU %']),
      memoryUtilization: num(r['memory %']),
      scaleUp: parseScale(up),
      scaleDown: parseScale(down),
    };
  }
  return out;
}

export function parseOperationsMd(md) {
  return {
    virtualService: parseVirtualServices(section(md, 1)),
    destinationRule: parseDestinationRules(section(md, 2)),
    hpa: parseHpa(section(md, 3)),
  };
}
