#!/usr/bin/env node
// Writes, for each service folder beside the installer (dailyfeed-<svc>-svc), the files built
// from one template each: Dockerfile, .dockerignore, .github/workflows/docker-build.yml.
// No dependencies. `--check` writes nothing and exits 1 when a committed file differs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { services } from './lib/model.mjs';
import { INSTALLER_DIR } from './lib/operations.mjs';

const tmpl = (name) => readFileSync(join(INSTALLER_DIR, 'templates', name), 'utf8');

export const SERVICE_FILES = {
  Dockerfile: 'Dockerfile.tmpl',
  '.dockerignore': 'dockerignore.tmpl',
  '.github/workflows/docker-build.yml': 'docker-build.yml.tmpl',
};

export function render(templateName, svc) {
  return tmpl(templateName).replaceAll('__SERVICE__', svc.name).replaceAll('__PORT__', String(svc.port));
}

/** {absolutePath: content} for every service; `folderExists` tells whether the service folder is there. */
export function generate() {
  const out = [];
  for (const svc of services()) {
    const dir = join(INSTALLER_DIR, '..', svc.name);
    for (const [rel, t] of Object.entries(SERVICE_FILES)) {
      out.push({ svc, rel, path: join(dir, rel), content: render(t, svc), folderExists: existsSync(dir) });
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let bad = 0;
  for (const f of generate()) {
    if (check) {
      const same = existsSync(f.path) && readFileSync(f.path, 'utf8') === f.content;
      if (!same) { bad++; console.error(`differs: ${f.path}`); }
    } else {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.content);
      console.error(`wrote ${f.path}`);
    }
  }
  process.exit(bad ? 1 : 0);
}
