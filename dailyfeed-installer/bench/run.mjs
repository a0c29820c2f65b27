// The orchestrator of bench/run.sh: see there. Service scenarios are discovered in
// ../dailyfeed-<svc>-svc (see scenarioFiles) and run with `npx tsx bench/<file> --size <size>`
// in the service folder; their output is kept whole under results/ and their
// ratios are read from it: lines `BENCH_JSON {...}` / `BENCH_JSON [...]` when a script prints
// them (rows {scenario, value, baseline?, baselineValue?, ratio?, metric?}), otherwise the
// rows of a printed table whose columns hold a ratio (a number with three decimals after the
// req/s, p50, p99 columns), or `<name> / <baseline>: 0.543` lines.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeChart } from './chart.mjs';
import { runGatewayScenario, SIZES } from './gateway.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..', '..');
const RESULTS = path.join(here, 'results');
const SERVICES = ['member', 'content', 'timeline', 'image', 'search', 'activity'];

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const size = opt('--size', 'small');
const only = opt('--only', process.env.DAILYFEED_BENCH_ONLY ?? '').split(/[\s,]+/).filter(Boolean);
if (!SIZES[size]) { console.error('usage: bench/run.sh [--size small|full] [--only "member gateway"]'); process.exit(2); }
const wanted = (name) => only.length === 0 || only.includes(name);
const SCRIPT_TIMEOUT_MS = (size === 'full' ? 1800 : Number(process.env.DAILYFEED_BENCH_SCRIPT_TIMEOUT ?? 240)) * 1000;

/**
 * The scenario scripts of a service: the bench/*.ts files its package.json `bench` script runs
 * (the entry point its engineer documented; such a script seeds its own data), else every
 * bench/*.ts that is not a helper (seed, server, lib, util, helpers, common, fixtures, _*).
 */
function scenarioFiles(svc, dir) {
  const pkgFile = path.join(ROOT, `dailyfeed-${svc}-svc`, 'package.json');
  const scripts = existsSync(pkgFile) ? JSON.parse(readFileSync(pkgFile, 'utf8')).scripts ?? {} : {};
  const named = [...String(scripts.bench ?? '').matchAll(/bench\/([\w.-]+\.ts)/g)].map((m) => m[1]).filter((f) => existsSync(path.join(dir, f)));
  if (named.length) return [...new Set(named)];
  return readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !/^(_|seed|server|lib|util|helpers?|common|shared|fixtures?)/.test(f));
}

function runScript(svc, file) {
  const dir = path.join(ROOT, `dailyfeed-${svc}-svc`);
  const env = { ...process.env, DATABASE_URL: process.env[`DATABASE_URL_${svc.toUpperCase()}`] ?? process.env.DATABASE_URL, LOG_LEVEL: 'silent' };
  return new Promise((resolve) => {
    const started = Date.now();
    const proc = spawn('npx', ['--no-install', 'tsx', `bench/${file}`, '--size', size], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    proc.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    const timer = setTimeout(() => { out += `\n[bench] timed out after ${SCRIPT_TIMEOUT_MS / 1000} s\n`; proc.kill('SIGTERM'); setTimeout(() => proc.kill('SIGKILL'), 5000); }, SCRIPT_TIMEOUT_MS);
    proc.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? signal, out, seconds: (Date.now() - started) / 1000 }); });
  });
}

/** Ratio rows out of a script's output (see the header). */
export function parseRatios(out, suite) {
  const rows = [];
  for (const line of out.split('\n')) {
    const m = /^\s*BENCH_JSON\s+(.+)$/.exec(line);
    if (!m) continue;
    try {
      for (const r of [].concat(JSON.parse(m[1]))) {
        const ratio = r.ratio ?? (r.baselineValue ? r.value / r.baselineValue : null);
        rows.push({ suite, metric: r.metric ?? '', scenario: r.scenario ?? r.name, value: r.value ?? null, baseline: r.baseline ?? '', baselineValue: r.baselineValue ?? null, ratio });
      }
    } catch { /* not JSON: ignored */ }
  }
  if (rows.length) return rows;
  for (const line of out.split('\n')) {
    // a markdown table row: "| name | v1 | v2 | 0.41 |" -> the last decimal column is the ratio
    const md = /^\s*\|(.+)\|\s*$/.exec(line);
    if (md) {
      const cells = md[1].split('|').map((c) => c.trim());
      const nums = cells.slice(1).map((c) => (/^-?\d+(\.\d+)?x?$/.test(c) ? Number(c.replace(/x$/, '')) : null));
      const ri = nums.map((n, i) => (n !== null && /\./.test(cells[i + 1]) ? i : -1)).filter((i) => i >= 0).pop();
      if (cells[0] && !/^-+$/.test(cells[0]) && ri !== undefined) {
        rows.push({ suite, metric: '', scenario: cells[0], value: nums[0], baseline: 'baseline of the script', baselineValue: null, ratio: nums[ri], fromTable: true });
        continue;
      }
    }
    // a table row: "<name>   <numbers...>" with one column of the form 0.123
    const t = /^(\S.*?)\s{2,}((?:-?[\d.]+(?:\s+|$)){2,})(.*)$/.exec(line.trimEnd());
    if (t) {
      const cols = t[2].trim().split(/\s+/);
      const ratioCol = cols.findIndex((c) => /^\d+\.\d{3}$/.test(c));
      if (ratioCol >= 0) {
        rows.push({ suite, metric: 'req/s', scenario: t[1].trim(), value: Number(cols[0]), baseline: 'baseline of the script', baselineValue: null, ratio: Number(cols[ratioCol]), fromTable: true });
        continue;
      }
    }
    if (rows.some((r) => r.fromTable)) continue; // a table was found: its rows are the figures
    const eq = /^\s*(?:ratio\s+)?(.*\/.*?)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (eq) { rows.push({ suite, metric: '', scenario: eq[1].trim(), value: null, baseline: eq[1].split('/').pop().trim(), baselineValue: null, ratio: Number(eq[2]) }); continue; }
    const r = /^\s*([A-Za-z][\w -]*?)\s+\/\s+([A-Za-z][\w -]*?):\s*(\d+\.\d+)\b/.exec(line);
    if (r) rows.push({ suite, metric: '', scenario: `${r[1]} / ${r[2]}`, value: null, baseline: r[2], baselineValue: null, ratio: Number(r[3]) });
  }
  return rows;
}

const pad = (s, n) => String(s).padEnd(n);
const fmt = (v, d = 0) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? '-' : Number(v).toFixed(d));

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const rows = [];
  const runs = [];
  const problems = [];
  for (const svc of SERVICES) {
    if (!wanted(svc)) continue;
    const dir = path.join(ROOT, `dailyfeed-${svc}-svc`, 'bench');
    if (!existsSync(dir)) { runs.push({ suite: svc, note: 'no bench/ folder' }); continue; }
    const scenarios = scenarioFiles(svc, dir);
    const seeds = [];
    if (!scenarios.length) { runs.push({ suite: svc, note: 'no scenario script in bench/' }); continue; }
    if (!existsSync(path.join(ROOT, `dailyfeed-${svc}-svc`, 'node_modules', '.bin', 'tsx'))) {
      problems.push(`${svc}: tsx is not installed in dailyfeed-${svc}-svc (npm ci there)`);
      continue;
    }
    for (const file of [...seeds, ...scenarios]) {
      console.log(`\n==> bench ${svc}: npx tsx bench/${file} --size ${size}`);
      const res = await runScript(svc, file);
      const logFile = path.join(RESULTS, `${stamp}-${svc}-${file.replace(/\.ts$/, '')}.log`);
      writeFileSync(logFile, res.out);
      const parsed = seeds.includes(file) || res.code !== 0 ? [] : parseRatios(res.out, svc).map((r) => ({ ...r, script: `${svc}/bench/${file}` }));
      rows.push(...parsed);
      runs.push({ suite: svc, script: file, exit: res.code, seconds: res.seconds, rows: parsed.length, log: path.relative(here, logFile) });
      if (res.code !== 0) problems.push(`${svc}/bench/${file} exited ${res.code} (log: ${path.relative(here, logFile)})`);
    }
  }
  if (wanted('gateway')) {
    console.log(`\n==> bench gateway (--size ${size})`);
    try {
      const g = await runGatewayScenario(size);
      rows.push(...g.rows.map((r) => ({ ...r, script: 'dailyfeed-installer/bench/gateway.mjs' })));
      runs.push({ suite: 'gateway', rows: g.rows.length, notes: g.notes });
      for (const n of g.notes) console.log(`[bench] note: ${n}`);
    } catch (error) {
      problems.push(`gateway scenario failed: ${error.message}`);
    }
  }

  console.log(`\ndailyfeed benchmarks (--size ${size}) — ratios against each scenario's baseline measured in the same run\n`);
  console.log(`${pad('suite', 9)} ${pad('scenario', 70)} ${pad('value', 10)} ${pad('baseline', 44)} ${pad('ratio', 7)}`);
  for (const r of rows) {
    console.log(`${pad(r.suite, 9)} ${pad(String(r.scenario).slice(0, 70), 70)} ${pad(fmt(r.value), 10)} ${pad(String(r.baseline ?? '').slice(0, 44), 44)} ${pad(fmt(r.ratio, 3), 7)}`);
  }
  for (const run of runs.filter((x) => x.note)) console.log(`(${run.suite}: ${run.note})`);
  const summary = { size, at: new Date().toISOString(), host: { cpus: (await import('node:os')).cpus().length, node: process.version }, rows, runs, problems };
  const json = path.join(RESULTS, `${stamp}-bench-${size}.json`);
  writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, `latest-${size}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  const png = await writeChart(rows, path.join(RESULTS, `${stamp}-bench-${size}.png`), `dailyfeed benchmarks (--size ${size}, ${summary.at.slice(0, 16)}Z)`);
  await writeChart(rows, path.join(RESULTS, `latest-${size}.png`), `dailyfeed benchmarks (--size ${size}, ${summary.at.slice(0, 16)}Z)`);
  console.log(`\nsaved ${path.relative(process.cwd(), json)} and ${path.relative(process.cwd(), png)}`);
  for (const p of problems) console.log(`[bench] PROBLEM: ${p}`);
  process.exitCode = problems.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
