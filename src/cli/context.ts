import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import { checkMasterKey, isMasterKeyMismatch } from '../crypto/master-key-check.js';
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

/** How messages name the master key: by where it came from. */
export function masterKeyName(config: Pick<Config, 'dataDir' | 'masterKeySource'>): string {
  const file = path.join(config.dataDir, 'master.key');
  if (config.masterKeySource === 'env') return 'PUBLIWATT_MASTER_KEY';
  if (config.masterKeySource === 'file') return `the master key in ${file}`;
  return `the master key just generated into ${file} (PUBLIWATT_MASTER_KEY is not set)`;
}

/** The local archive folder, where archived files are sealed with the master key. */
export function archiveRootOf(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'archive');
}

/**
 * Long-running commands log JSON lines (pino); one-shot commands print human lines and keep the
 * logger quiet unless PUBLIWATT_LOG_LEVEL asks otherwise. `checkMasterKey`: the command reads or
 * writes sealed data, so the database must be sealed with the configured master key (stored on
 * first start) and no key rotation may be unfinished; otherwise it stops before doing anything.
 */
export async function openContext(
  options: { port?: number; quiet?: boolean; checkMasterKey?: boolean } = {},
): Promise<CommandContext> {
  // The database, the master key, the archive and the outbox are readable by this user only.
  process.umask(0o077);
  const config = loadConfig(process.env, { port: options.port });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const level = config.logLevel ?? (options.quiet ? 'warn' : 'info');
  const logger = pino({ level });
  const database = openDatabase(config.database);
  let applied: string[];
  try {
    applied = await migrateToLatest(database);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    if (options.checkMasterKey) {
      await checkMasterKey({
        db: database.db,
        key: config.masterKey,
        keyName: masterKeyName(config),
        archiveRoot: archiveRootOf(config),
        now: systemClock.now(),
      });
    }
  } catch (error) {
    await database.destroy();
    // A key this start generated does not open the database: leave no key file for the next start to read.
    if (config.masterKeySource === 'generated' && isMasterKeyMismatch(error)) {
      rmSync(path.join(config.dataDir, 'master.key'), { force: true });
    }
    throw error;
  }
  return { config, database, clock: systemClock, logger, applied };
}
