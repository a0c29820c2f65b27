import { runMigrateCli } from '../dailyfeed-shared/tools/migrate-cli.ts';

await runMigrateCli();
