/**
 * `node dist/reindex.js [--fresh] [--batch-size N]`: rebuilds the search index of the
 * configured engine from the database (content schema, read-only). Without --fresh, rows are
 * upserted over what is there (ledger-guarded: safe while the service consumes events);
 * with --fresh, the engine and the ledger are emptied first. Prints documents/s.
 */
import { ConfigError } from '../dailyfeed-shared/src/config/config.ts';
import { loadSearchConfig } from './config.ts';
import { ContentReader } from './db/content-reader.ts';
import { createPool } from './db/pool.ts';
import { createEngine } from './engine/create-engine.ts';
import { Indexer } from './indexer/indexer.ts';
import { Ledger } from './indexer/ledger.ts';
import { reindex } from './indexer/reindexer.ts';

const args = process.argv.slice(2);
const fresh = args.includes('--fresh');
const batchArg = args.indexOf('--batch-size');
const batchSize = batchArg >= 0 ? Number(args[batchArg + 1]) : 2_000;

try {
  // The reindex needs neither Kafka nor Redis nor member-svc: defaults keep config validation quiet.
  const config = loadSearchConfig({ KAFKA_BROKERS: '-', REDIS_URL: 'redis://unused', MEMBER_SVC_URL: 'http://unused', ...process.env });
  const pool = createPool(config.DATABASE_URL, 4);
  const engine = createEngine(config, pool);
  await engine.init();
  const content = new ContentReader(pool);
  const ledger = new Ledger(pool);
  const indexer = new Indexer({ content, engine, ledger });
  let lastLog = 0;
  const result = await reindex({ content, engine, ledger, indexer }, {
    fresh,
    batchSize,
    onProgress: ({ kind, done }) => {
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        console.error(`reindex: ${done} ${kind}s`);
      }
    },
  });
  await engine.close();
  await pool.end();
  const docs = result.posts + result.comments;
  console.log(JSON.stringify({ engine: engine.name, fresh, ...result, ms: Math.round(result.ms), docsPerSecond: Math.round(docs / (result.ms / 1000)) }));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`search-svc reindex: ${error.message}`);
    process.exit(78);
  }
  console.error(`search-svc reindex failed: ${(error as Error).message}`);
  process.exit(1);
}
