/**
 * The vitest settings every service uses. `dedupe` makes every bare import of the shared
 * source resolve from the service root, as tsconfig `paths` does for types and the
 * bundle does at run time, so tests load the same single copy of each package.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function sharedVitestConfig(serviceRoot: string) {
  const shared = JSON.parse(readFileSync(path.join(serviceRoot, 'dailyfeed-shared', 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  return {
    resolve: { dedupe: Object.keys(shared.peerDependencies) },
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      // Suites share real servers: run files one at a time so timing-sensitive tests
      // (fan-out, breakers, rollovers) do not starve each other on a 2-core machine.
      fileParallelism: false,
      reporters: ['default'],
    },
  };
}
