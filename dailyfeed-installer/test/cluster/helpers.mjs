// Shared helpers of the offline cluster tests: load every manifest, validate it against the
// Kubernetes and Istio schemas (kubernetes-models, @kubernetes-models/istio), find tools.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { INSTALLER_DIR, findOperationsMd, loadCommittedValues, parseOperationsMd } from '../../scripts/lib/operations.mjs';

export { INSTALLER_DIR };
export const K8S_DIR = join(INSTALLER_DIR, 'k8s');

export function walk(dir, pred = () => true) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out;
}

export function parseYamlFile(path) {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`${path}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter((d) => d !== null && d !== undefined);
}

/** Every Kubernetes object under k8s/ (kustomization files and helm *-values.yaml excluded): [{file, doc}]. */
export function loadManifests() {
  const out = [];
  for (const file of walk(K8S_DIR, (p) => /\.ya?ml$/.test(p) && !p.endsWith('kustomization.yaml') && !p.endsWith('-values.yaml'))) {
    for (const doc of parseYamlFile(file)) out.push({ file: relative(INSTALLER_DIR, file), doc });
  }
  return out;
}

/** The module that holds the model class of an apiVersion. */
async function modelModule(apiVersion) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group.endsWith('istio.io')) return import(`@kubernetes-models/istio/${group}/${version}`);
  if (group === '') return import(`kubernetes-models/${version}`);
  return import(`kubernetes-models/${group}/${version}`);
}

/** Validates with the model's .validate(); throws with the schema's message. */
export async function validateObject(doc) {
  const mod = await modelModule(doc.apiVersion);
  const Model = mod[doc.kind];
  if (typeof Model !== 'function') throw new Error(`no schema model for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

export function operationsValues() {
  const md = findOperationsMd();
  if (md) return { source: md, values: parseOperationsMd(readFileSync(md, 'utf8')) };
  return { source: 'config/operations-values.json (committed copy; operations.md not found)', values: loadCommittedValues() };
}

/** A tool on PATH or in the project cache, else null. */
export function findTool(name) {
  const cache = process.env.DAILYFEED_CACHE || join(homedir(), '.cache', 'dailyfeed');
  const cached = join(cache, 'bin', name);
  if (existsSync(cached)) return cached;
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export const byKind = (manifests, kind) => manifests.filter((m) => m.doc.kind === kind);

/** Skips the running test with a reason that is printed as well (the default reporter hides skip notes). */
export function skipWith(ctx, reason) {
  console.warn(`[skipped] ${ctx.task.name}: ${reason}`);
  ctx.skip(reason);
}
