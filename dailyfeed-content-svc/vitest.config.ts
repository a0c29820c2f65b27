import { defineConfig } from 'vitest/config';
import { sharedVitestConfig } from './dailyfeed-shared/tools/vitest-shared.ts';

const shared = sharedVitestConfig(import.meta.dirname);
export default defineConfig({ ...shared, test: { ...shared.test, globalSetup: ['test/global-setup.ts'] } });
