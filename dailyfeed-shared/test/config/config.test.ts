import { describe, it, expect } from 'vitest';
import { Type } from 'typebox';
import { BaseConfigSchema, ConfigError, loadConfig } from '../../src/config/config.ts';

const schema = { ...BaseConfigSchema, PORT: Type.Integer({ minimum: 0, maximum: 65535 }), DATABASE_URL: Type.String({ pattern: '^postgres' }) };

describe('configuration', () => {
  it('converts and defaults values', () => {
    const config = loadConfig(schema, { PORT: '8081', DATABASE_URL: 'postgresql://u:p@h/db', DAILYFEED_LOCAL_MODE: 'true' });
    expect(config).toMatchObject({ PORT: 8081, DAILYFEED_LOCAL_MODE: true, LOG_LEVEL: 'info', HOST: '0.0.0.0' });
  });

  it('names every missing variable', () => {
    expect(() => loadConfig(schema, {})).toThrowError(/PORT is required; DATABASE_URL is required/);
  });

  it('names a malformed variable and never echoes a secret', () => {
    expect(() => loadConfig(schema, { PORT: 'eighty', DATABASE_URL: 'mysql://root:hunter2@h/db' })).toThrowError(ConfigError);
    try {
      loadConfig(schema, { PORT: 'eighty', DATABASE_URL: 'mysql://root:hunter2@h/db' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PORT is malformed');
      expect(message).toContain('DATABASE_URL is malformed');
      expect(message).not.toContain('hunter2');
    }
  });
});
