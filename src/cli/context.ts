import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';

/** What a command needs: configuration, a migrated database, a clock and a logger. */
export interface CommandContext {
  config: Config;
  database: DatabaseHandle;
  clock: Clock;
  logger: Logger;
  /** Migrations this start applied (empty when the schema was already current). */
  applied: string[];
}

/**
 * Long-running commands log JSON lines (pino); one-shot commands print human lines and keep the
 * logger quiet unless PUBLIWATT_LOG_LEVEL asks otherwise.
 */
export async function openContext(options: { port?: number; quiet?: boolean } = {}): Promise<CommandContext> {
  const config = loadConfig(process.env, { port: options.port });
  const level = process.env.PUBLIWATT_LOG_LEVEL || (options.quiet ? 'warn' : 'info');
  const logger = pino({ level });
  const database = openDatabase(config.database);
  let applied: string[];
  try {
    applied = await migrateToLatest(database);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return { config, database, clock: systemClock, logger, applied };
}
