// Shell scripts (shellcheck), the services' release workflows (generated, actionlint) and
// install.sh's rendering (--dry-run, kubectl kustomize only). A missing tool is a skipped
// test that says why, never a pass.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { findTool, INSTALLER_DIR, skipWith, validateObject } from './helpers.mjs';
import { generate as genServiceFiles } from '../../scripts/gen-workflows.mjs';

// the installer's own scripts (local/ belongs to the local stack and is linted there)
const SCRIPTS = ['install.sh', 'uninstall.sh', 'canary.sh', 'lib/common.sh', 'scripts/ensure-tools.sh'];
const shellcheck = findTool('shellcheck');
const actionlint = findTool('actionlint');
const kubectl = findTool('kubectl');
const bash = findTool('bash');
const tmp = mkdtempSync(join(tmpdir(), 'dailyfeed-cluster-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('shell scripts', () => {
  for (const s of SCRIPTS) {
    it(`${s} is shellcheck-clean`, (ctx) => {
      if (!shellcheck) skipWith(ctx, 'shellcheck not installed (run scripts/ensure-tools.sh)');
      const r = spawnSync(shellcheck, ['-x', '-S', 'style', s], { cwd: INSTALLER_DIR, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
  for (const s of ['install.sh', 'uninstall.sh', 'canary.sh']) {
    it(`${s} uses set -euo pipefail, a usage text and a cleanup trap`, () => {
      const text = readFileSync(join(INSTALLER_DIR, s), 'utf8');
      expect(text).toMatch(/^set -euo pipefail$/m);
      expect(text).toMatch(/^usage\(\) \{/m);
      expect(text).toMatch(/^trap cleanup EXIT$/m);
      expect(text).not.toMatch(/^\s*sleep /m);
    });
    it(`${s} --help prints the usage and exits 0`, (ctx) => {
      if (!bash) skipWith(ctx, 'bash not found');
      const r = spawnSync(bash, [s, '--help'], { cwd: INSTALLER_DIR, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: /);
    });
  }
  it('install.sh rejects unknown arguments and a missing image choice', (ctx) => {
    if (!bash) skipWith(ctx, 'bash not found');
    const bad = spawnSync(bash, ['install.sh', '--bogus'], { cwd: INSTALLER_DIR, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown argument: --bogus/);
    const noTag = spawnSync(bash, ['install.sh'], { cwd: INSTALLER_DIR, encoding: 'utf8', env: { ...process.env, DAILYFEED_TAG: '' } });
    expect(noTag.status).not.toBe(0);
    expect(noTag.stderr).toMatch(/--tag TAG .* or --build/);
  });
  it('canary.sh rejects an unknown service and action', (ctx) => {
    if (!bash) skipWith(ctx, 'bash not found');
    expect(spawnSync(bash, ['canary.sh', 'nope', 'step'], { cwd: INSTALLER_DIR, encoding: 'utf8' }).stderr).toMatch(/unknown service/);
    expect(spawnSync(bash, ['canary.sh', 'member', 'jump'], { cwd: INSTALLER_DIR, encoding: 'utf8' }).stderr).toMatch(/unknown action/);
  });
});

describe('install.sh --dry-run renders valid manifests with the chosen images and settings', () => {
  it('renders, and every object validates', async (ctx) => {
    if (!kubectl) skipWith(ctx, 'kubectl (for kustomize) not installed: install.sh rendering not checked');
    const out = execFileSync(bash, ['install.sh', '--dry-run', '--tag', 'main-20261128-7', '--registry', 'registry.example/df',
      '--frontend-image', 'registry.example/web:1.2', '--frontend-port', '8080', '--rate-limit-tokens', '50', '--rate-limit-interval', '2s',
      '--cors-origins', 'https://app.example'], { cwd: INSTALLER_DIR, encoding: 'utf8' });
    const docs = parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
    for (const d of docs) await validateObject(d);
    const containers = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'Job').flatMap((d) => d.spec.template.spec.containers);
    const svcImages = containers.map((c) => c.image).filter((i) => i.includes('dailyfeed-'));
    expect(svcImages.length).toBe(12); // 6 Deployments + 6 migration Jobs
    for (const i of svcImages) expect(i).toMatch(/^registry\.example\/df\/dailyfeed-\w+-svc:main-20261128-7$/);
    const ef = docs.find((d) => d.kind === 'EnvoyFilter');
    expect(ef.spec.configPatches[0].patch.value.typed_config.token_bucket).toEqual({ max_tokens: 50, tokens_per_fill: 50, fill_interval: '2s' });
    expect(docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'dailyfeed-config').data.DAILYFEED_CORS_ORIGINS).toBe('https://app.example');
    const fe = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'dailyfeed-frontend-v1').spec.template.spec.containers[0];
    expect(fe.image).toBe('registry.example/web:1.2');
    expect(fe.ports[0].containerPort).toBe(8080);
    // secrets are generated at install time, never committed
    expect(docs.some((d) => d.kind === 'Secret')).toBe(false);
  });
});

describe('service release files (Dockerfile, .dockerignore, docker-build.yml)', () => {
  const files = genServiceFiles();
  for (const f of files) {
    it(`${f.svc.name}/${f.rel} equals the generated one`, (ctx) => {
      if (!f.folderExists) skipWith(ctx, `${f.svc.name} is not checked out beside the installer`);
      expect(existsSync(f.path), f.path).toBe(true);
      expect(readFileSync(f.path, 'utf8')).toBe(f.content);
    });
  }

  const workflows = files.filter((f) => f.rel.endsWith('docker-build.yml'));
  it('each workflow follows operations.md §5', () => {
    for (const f of workflows) {
      const wf = parse(f.content);
      expect(wf.on.push.branches).toEqual(['main', 'develop', 'hotfix']);
      expect(wf.on.workflow_dispatch.inputs.image_version.required).toBe(true);
      const steps = wf.jobs.build.steps;
      const checkout = steps.find((s) => String(s.uses).startsWith('actions/checkout@'));
      expect(checkout.with.submodules).toBe('recursive');
      const tag = steps.find((s) => s.id === 'meta').run;
      expect(tag).toContain('tag="${BRANCH}-$(TZ=Asia/Seoul date +%Y%m%d)-${RUN_NUMBER}"');
      expect(tag).toContain('tag="$INPUT_IMAGE_VERSION"');
      for (const cmd of ['npm ci', 'npm run build', 'npm test']) expect(steps.some((s) => String(s.run).startsWith(cmd)), cmd).toBe(true);
      const push = steps.find((s) => String(s.uses).startsWith('docker/build-push-action@'));
      expect(push.with['build-contexts']).toBe('shared=./dailyfeed-shared');
      expect(push.with.push).toBe(true);
      expect(wf.env.REGISTRY).toContain('vars.DAILYFEED_REGISTRY');
      const summary = steps.find((s) => String(s.run).includes('GITHUB_STEP_SUMMARY')).run;
      for (const w of ['image', 'tag', 'trigger', 'commit']) expect(summary).toContain(`| ${w} |`);
      expect(Object.keys(wf.jobs.build.services).sort()).toEqual(['kafka', 'postgres', 'redis']);
    }
  });

  it('each Dockerfile is multi-stage, non-root, labelled with the version, takes shared from the named context', () => {
    for (const f of files.filter((x) => x.rel === 'Dockerfile')) {
      expect((f.content.match(/^FROM /gm) ?? []).length).toBeGreaterThanOrEqual(3);
      expect(f.content).toMatch(/^USER 1000:1000$/m);
      expect(f.content).toContain('org.opencontainers.image.version=$VERSION');
      expect(f.content).toContain('COPY --from=shared . ./dailyfeed-shared');
      expect(f.content).toContain('npm ci --ignore-scripts --omit=dev');
      expect(f.content).toMatch(new RegExp(`^EXPOSE ${f.svc.port}$`, 'm'));
      expect(f.content).toMatch(/^CMD \["node", "dist\/server\.js"\]$/m);
    }
  });

  it('the generated workflows pass actionlint', (ctx) => {
    if (!actionlint) skipWith(ctx, 'actionlint not installed (run scripts/ensure-tools.sh; needs the Go module proxy)');
    const paths = [];
    for (const f of workflows) {
      const dir = join(tmp, f.svc.name, '.github', 'workflows');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'docker-build.yml'), f.content);
      paths.push(join(dir, 'docker-build.yml'));
    }
    const r = spawnSync(actionlint, ['-no-color', ...paths], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}` } });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
