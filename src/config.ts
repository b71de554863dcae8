import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AppError } from './domain/app-error.js';
import { parseChannelAllowList } from './domain/channel-allow-list.js';
import type { ImportLimits } from './meterdata/import/import-limits.js';
import { parseTrustedProxies, type TrustedProxies } from './web/trusted-proxies.js';

export type DatabaseUrl = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

export interface Config {
  database: DatabaseUrl;
  dataDir: string;
  /** 32 bytes: encrypts archived files and channel secrets at rest. */
  masterKey: Buffer;
  /** Where the master key came from, so `serve` can warn when it was generated. */
  masterKeySource: 'env' | 'file' | 'generated';
  smtpUrl: string | undefined;
  port: number;
  /** Base URL of the portal in e-mailed links (`PUBLIWATT_PUBLIC_URL`); unset: `http://localhost:<port>`. */
  publicUrl?: string | undefined;
  /**
   * Archive limits of measurement imports set by the environment (`PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES`,
   * `PUBLIWATT_IMPORT_MAX_ZIP_RATIO`); the others keep `DEFAULT_IMPORT_LIMITS`.
   */
  importLimits?: Partial<ImportLimits>;
  /** Proxies whose `X-Forwarded-For` tells the client's address (`PUBLIWATT_TRUSTED_PROXIES`); unset: none. */
  trustedProxies?: TrustedProxies;
  /**
   * Ranges and host names customer channels may reach besides public addresses (`PUBLIWATT_CHANNEL_ALLOW`,
   * for on-premise servers); unset: none.
   */
  channelAllow?: readonly string[];
  /** pino level asked by `PUBLIWATT_LOG_LEVEL`; unset: the command's default. */
  logLevel?: LogLevel;
}

function invalid(variable: string, reason: string): AppError {
  return new AppError('INVALID_CONFIGURATION', `${variable}: ${reason}`, { variable, reason });
}

export function parseDatabaseUrl(value: string, variable = 'PUBLIWATT_DATABASE_URL'): DatabaseUrl {
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw invalid(variable, 'sqlite: needs a file path, e.g. sqlite:./data/publiwatt.db');
    return { engine: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
  }
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value);
    } catch {
      throw invalid(variable, `"${value}" is not a valid URL`);
    }
    return { engine: 'postgres', url: value };
  }
  throw invalid(variable, `"${value}" must start with sqlite: or postgres://`);
}

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw invalid('PORT', `"${value}" is not a TCP port (1-65535)`);
  }
  return Number(value);
}

function parseMasterKey(value: string, variable: string): Buffer {
  const trimmed = value.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed))
    throw invalid(variable, 'must be 64 hexadecimal characters (32 bytes)');
  return Buffer.from(trimmed, 'hex');
}

/** A whole number of at least 1, written in plain digits. */
function parsePositiveInteger(value: string, variable: string): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed)) || Number(trimmed) < 1) {
    throw invalid(variable, `"${value}" must be a whole number of at least 1, in digits`);
  }
  return Number(trimmed);
}

/** A number of at least 1, e.g. `200` or `50.5`. */
function parseRatio(value: string, variable: string): number {
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed) || Number(trimmed) < 1) {
    throw invalid(variable, `"${value}" must be a number of at least 1 (uncompressed over compressed size)`);
  }
  return Number(trimmed);
}

/** The archive limits of measurement imports the environment sets (unset ones are left out). */
export function importLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<ImportLimits> {
  const limits: Partial<ImportLimits> = {};
  const maxBytes = env.PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES;
  if (maxBytes) {
    limits.maxUncompressedBytes = parsePositiveInteger(maxBytes, 'PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES');
  }
  const maxRatio = env.PUBLIWATT_IMPORT_MAX_ZIP_RATIO;
  if (maxRatio) limits.maxCompressionRatio = parseRatio(maxRatio, 'PUBLIWATT_IMPORT_MAX_ZIP_RATIO');
  return limits;
}

/**
 * Reads the key from `<dataDir>/master.key`, creating it (mode 0600) on first start. `wx` makes two
 * processes starting together agree on one key: the loser of the race reads the winner's file.
 */
function loadOrCreateMasterKey(dataDir: string): { key: Buffer; source: 'file' | 'generated' } {
  const file = path.join(dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, randomBytes(32).toString('hex') + '\n');
      closeSync(fd);
      return { key: parseMasterKey(readFileSync(file, 'utf8'), file), source: 'generated' };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return { key: parseMasterKey(readFileSync(file, 'utf8'), file), source: 'file' };
}

/** The database the environment names (`PUBLIWATT_DATABASE_URL`, else SQLite in the data directory). */
export function databaseUrlOf(env: NodeJS.ProcessEnv): DatabaseUrl {
  const dataDir = path.resolve(env.PUBLIWATT_DATA_DIR || './data');
  return parseDatabaseUrl(env.PUBLIWATT_DATABASE_URL || `sqlite:${path.join(dataDir, 'publiwatt.db')}`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function parseLogLevel(value: string | undefined): LogLevel | undefined {
  if (!value) return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw invalid('PUBLIWATT_LOG_LEVEL', `"${value}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

/** Builds the configuration from the environment; any invalid value fails naming its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: { port?: number } = {}): Config {
  const dataDir = path.resolve(env.PUBLIWATT_DATA_DIR || './data');
  const database = databaseUrlOf(env);
  const port = overrides.port ?? parsePort(env.PORT || '3000');
  const smtpUrl = env.PUBLIWATT_SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]+/.test(smtpUrl)) {
    throw invalid(
      'PUBLIWATT_SMTP_URL',
      `"${smtpUrl}" must look like smtp://host:port or smtps://user:pass@host`,
    );
  }
  const publicUrl = env.PUBLIWATT_PUBLIC_URL || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(publicUrl)) {
    throw invalid('PUBLIWATT_PUBLIC_URL', `"${publicUrl}" must look like https://portal.example`);
  }
  const importLimits = importLimitsFromEnv(env);
  const trustedProxies = parseTrustedProxies(env.PUBLIWATT_TRUSTED_PROXIES);
  const channelAllow = parseChannelAllowList(env.PUBLIWATT_CHANNEL_ALLOW);
  const logLevel = parseLogLevel(env.PUBLIWATT_LOG_LEVEL);
  let masterKey: Buffer;
  let masterKeySource: Config['masterKeySource'];
  if (env.PUBLIWATT_MASTER_KEY) {
    masterKey = parseMasterKey(env.PUBLIWATT_MASTER_KEY, 'PUBLIWATT_MASTER_KEY');
    masterKeySource = 'env';
  } else {
    const loaded = loadOrCreateMasterKey(dataDir);
    masterKey = loaded.key;
    masterKeySource = loaded.source;
  }
  return {
    database,
    dataDir,
    masterKey,
    masterKeySource,
    smtpUrl,
    port,
    publicUrl,
    importLimits,
    trustedProxies,
    channelAllow,
    logLevel,
  };
}

/** Base URL of the portal in e-mailed links: `PUBLIWATT_PUBLIC_URL`, else `http://localhost:<port>`. */
export function publicUrlOf(config: Pick<Config, 'publicUrl' | 'port'>): string {
  return config.publicUrl ?? `http://localhost:${config.port}`;
}
