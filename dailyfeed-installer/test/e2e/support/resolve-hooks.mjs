// module.register() hooks of record-resolutions.mjs: append every resolved URL to a file.
import { appendFileSync } from 'node:fs';

let file;
export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (file && result.url.startsWith('file:')) appendFileSync(file, `${result.url}\n`);
  return result;
}
