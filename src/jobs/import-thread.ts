import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { AuditActor } from '../db/audit.repository.js';
import type { DatabaseUrl } from '../config.js';
import { isProcessLocal, type DatabaseHandle } from '../db/database.js';
import { AppError, type ErrorCode } from '../domain/app-error.js';
import {
  importMeasurementFile,
  withSpooledUpload,
  type ImportOptions,
  type ImportResult,
} from '../meterdata/import/measurement-import.js';
import {
  importRegistryCsv,
  RegistryImportRejected,
  type RegistryImportResult,
} from '../registry/registry-import.js';
import type { LineError } from '../registry/registry-csv.js';
import { startModuleWorker } from '../worker-thread.js';

/** Options of a measurement import that can cross to the import thread (no callbacks). */
export type ThreadImportOptions = Omit<ImportOptions, 'onProgress'>;

export interface RegistryImportOptions {
  source: string;
  now: Date;
  actor: AuditActor;
}

/** Main thread → import thread. */
export type ToImportThread =
  | { type: 'open'; url: DatabaseUrl }
  | { type: 'measurements'; id: number; file: string; options: ThreadImportOptions }
  | { type: 'registry'; id: number; text: string; options: RegistryImportOptions };

/** An error as it crosses threads: an AppError's fields, and the rejected lines of a registry. */
export interface SerializedError {
  code: ErrorCode | undefined;
  message: string;
  params: Record<string, string | number>;
  lineErrors?: LineError[];
  source?: string;
}

/** Import thread → main thread. */
export type FromImportThread =
  { type: 'done'; id: number; result: unknown } | { type: 'failed'; id: number; error: SerializedError };

/**
 * Heap of the import thread. Measurement imports stream (files of any size in bounded memory); a
 * 140 000-line registry takes ~250 MB (it is planned whole). This bounds a hostile or pathological
 * file: the thread then dies alone, the server answers, the next import starts a new thread.
 */
const IMPORT_THREAD_HEAP_MB = 1024;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof RegistryImportRejected) {
    return {
      code: error.code,
      message: error.detail,
      params: { ...error.params },
      lineErrors: error.lineErrors,
      source: error.source,
    };
  }
  if (error instanceof AppError)
    return { code: error.code, message: error.detail, params: { ...error.params } };
  return { code: undefined, message: error instanceof Error ? error.message : String(error), params: {} };
}

function deserializeError(error: SerializedError): Error {
  if (error.code === 'REGISTRY_IMPORT_REJECTED' && error.lineErrors && error.source !== undefined)
    return new RegistryImportRejected(error.source, error.lineErrors);
  if (error.code !== undefined) return new AppError(error.code, error.message, error.params);
  return new Error(error.message);
}

/** Where the server runs imports: never on the thread that answers requests. */
export interface ImportExecutor {
  /** Imports an uploaded file: the stream is spooled to a temporary file, then imported. */
  measurementStream(body: Readable, options: ThreadImportOptions): Promise<ImportResult>;
  registry(text: string, options: RegistryImportOptions): Promise<RegistryImportResult>;
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Runs measurement and registry imports in one worker thread with its own database connection, one
 * import at a time in arrival order, so that parsing, validation and (on SQLite, synchronous) queries
 * never hold the event loop that answers requests. The thread starts with the first import and keeps
 * the process open only while an import runs. A thread that dies (out of memory on a hostile file)
 * fails the imports it held; the next import starts a new thread.
 *
 * An in-memory SQLite database cannot be opened by another thread: its imports run in this thread.
 */
export class ImportThread implements ImportExecutor {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private lastId = 0;

  constructor(
    private readonly database: DatabaseHandle,
    /** Heap of the thread, in MB (tests make it small to see a thread run out of memory). */
    private readonly heapMb = IMPORT_THREAD_HEAP_MB,
  ) {}

  private get inProcess(): boolean {
    return isProcessLocal(this.database.url);
  }

  measurementStream(body: Readable, options: ThreadImportOptions): Promise<ImportResult> {
    return withSpooledUpload(body, async (file) =>
      this.inProcess
        ? importMeasurementFile(this.database.db, file, options)
        : ((await this.run({ type: 'measurements', file, options })) as ImportResult),
    );
  }

  async registry(text: string, options: RegistryImportOptions): Promise<RegistryImportResult> {
    if (this.inProcess) return importRegistryCsv(this.database.db, text, options);
    return (await this.run({ type: 'registry', text, options })) as RegistryImportResult;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private run(
    job:
      | { type: 'measurements'; file: string; options: ThreadImportOptions }
      | {
          type: 'registry';
          text: string;
          options: RegistryImportOptions;
        },
  ): Promise<unknown> {
    const worker = (this.worker ??= this.start());
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...job, id } satisfies ToImportThread);
    });
  }

  private start(): Worker {
    const worker = startModuleWorker(import.meta.url, 'import.worker', {
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb },
    });
    worker.unref();
    worker.postMessage({ type: 'open', url: this.database.url } satisfies ToImportThread);
    worker.on('message', (message: FromImportThread) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.type === 'done') pending.resolve(message.result);
      else pending.reject(deserializeError(message.error));
    });
    const fail = (error: Error) => {
      // 'error' is followed by 'exit': the imports of this thread fail once.
      if (this.worker === worker) this.worker = undefined;
      const outOfMemory = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      for (const pending of this.pending.values()) {
        pending.reject(
          outOfMemory
            ? new AppError(
                'IMPORT_REJECTED',
                `the file needs more than the ${this.heapMb} MB an import may use`,
                { file: 'import', count: 1 },
              )
            : error,
        );
      }
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the import thread stopped (exit code ${code})`)));
    return worker;
  }
}
