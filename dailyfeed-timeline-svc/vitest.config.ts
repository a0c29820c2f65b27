import { defineConfig } from 'vitest/config';
import { sharedVitestConfig } from './dailyfeed-shared/tools/vitest-shared.ts';

export default defineConfig(sharedVitestConfig(import.meta.dirname));
