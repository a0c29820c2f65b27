// `node --import <this file>`: records every module resolution of the process, one absolute
// file URL a line, to $DAILYFEED_RESOLVE_LOG. ESM resolutions go through a module.register()
// resolve hook (it runs on the loader thread); CommonJS require() calls, which Node 20 does not
// pass through those hooks, are recorded by wrapping Module._resolveFilename on this thread.
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const file = process.env.DAILYFEED_RESOLVE_LOG;
if (file) {
  register('./resolve-hooks.mjs', import.meta.url, { data: { file } });
  const Module = createRequire(import.meta.url)('node:module');
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveFilename(request, ...rest) {
    const resolved = original.call(this, request, ...rest);
    if (typeof resolved === 'string' && resolved.startsWith('/')) appendFileSync(file, `${pathToFileURL(resolved).href}\n`);
    return resolved;
  };
}
