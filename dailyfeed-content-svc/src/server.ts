import { runService } from '../dailyfeed-shared/src/http/run-service.ts';
import { ConfigError } from '../dailyfeed-shared/src/config/config.ts';
import { buildApp } from './app.ts';
import { loadContentConfig } from './config.ts';

try {
  const config = loadContentConfig();
  const app = await buildApp(config);
  await runService(app, { port: config.PORT, host: config.HOST, graceMs: config.SHUTDOWN_GRACE_MS });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`content-svc: ${error.message}`);
    process.exit(78);
  }
  throw error;
}
