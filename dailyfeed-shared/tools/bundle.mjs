#!/usr/bin/env node
// Bundles a service's entry points (its src and the dailyfeed-shared source it imports)
// into dist/. Every package stays external: at run time Node resolves them from dist/,
// that is from the service's own node_modules, so one copy of each is ever loaded.
import path from 'node:path';
import { createRequire } from 'node:module';

// esbuild comes from the service being built (this file may sit in a submodule or a
// symlinked folder with no node_modules of its own).
const { build } = createRequire(path.resolve('package.json'))('esbuild');

// --outdir/--outbase: the benchmarks bundle their targets the way the service ships.
const options = { outdir: 'dist', outbase: 'src' };
const entries = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--outdir' || arg === '--outbase') options[arg.slice(2)] = process.argv[++i];
  else entries.push(arg);
}
if (entries.length === 0) {
  console.error('usage: bundle.mjs [--outdir dist] [--outbase src] <entry.ts>...');
  process.exit(2);
}
await build({
  entryPoints: entries,
  outdir: options.outdir,
  outbase: options.outbase,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  // Not `packages: 'external'`: tsconfig `paths` would first turn bare imports into
  // ./node_modules paths and get them bundled. Every bare specifier stays external.
  plugins: [{
    name: 'externalize-packages',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'entry-point' ? undefined : { path: args.path, external: true }));
    },
  }],
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: path.resolve('.'),
});
console.log(`bundled ${entries.join(', ')} -> ${options.outdir}/`);
