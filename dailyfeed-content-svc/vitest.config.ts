import { defineConfig } from 'vitest/config';
import { sharedVitestConfig } from './dailyfeed-shared/tools/vitest-shared.ts';

const shared = sharedVitestConfig(import.meta.dirname);
// One file at a time: every relay with a reachable broker publishes ALL pending rows of
// content.outbox_events (that is its job), so a suite running beside the never-lose suite
// would publish that suite's rows under its own topic prefix.
export default defineConfig({ ...shared, test: { ...shared.test, fileParallelism: false, globalSetup: ['test/global-setup.ts'] } });
