/** SEARCH_ENGINE -> the adapter. */
import type { Pool } from 'pg';
import type { SearchConfig } from '../config.ts';
import { MeiliSearchEngine } from './meili-engine.ts';
import { PostgresSearchEngine } from './postgres-engine.ts';
import type { SearchEngine } from './search-engine.ts';

export function createEngine(config: Pick<SearchConfig, 'SEARCH_ENGINE' | 'MEILI_URL' | 'MEILI_KEY' | 'MEILI_INDEX_PREFIX' | 'SEARCH_RANK_WINDOW'>, pool: Pool): SearchEngine {
  if (config.SEARCH_ENGINE === 'meilisearch') {
    if (!config.MEILI_URL) throw new Error('MEILI_URL is required when SEARCH_ENGINE is meilisearch');
    return new MeiliSearchEngine({ url: config.MEILI_URL, ...(config.MEILI_KEY ? { apiKey: config.MEILI_KEY } : {}), indexPrefix: config.MEILI_INDEX_PREFIX });
  }
  return new PostgresSearchEngine(pool, { rankWindow: config.SEARCH_RANK_WINDOW });
}
