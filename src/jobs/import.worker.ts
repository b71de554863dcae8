import { parentPort } from 'node:worker_threads';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { importMeasurementFile } from '../meterdata/import/measurement-import.js';
import { importRegistryCsv } from '../registry/registry-import.js';
import { serializeError, type FromImportThread, type ToImportThread } from './import-thread.js';

/*
 * The import thread: measurement and registry imports of the server, one at a time, on a database
 * connection of its own, so that the thread answering requests never parses or waits for an import.
 */

const port = parentPort;
if (!port) throw new Error('import.worker runs in a worker thread');
const post = (message: FromImportThread) => port.postMessage(message);
let database: DatabaseHandle | undefined;
let queue: Promise<void> = Promise.resolve();

async function run(job: Exclude<ToImportThread, { type: 'open' }>): Promise<void> {
  try {
    if (!database) throw new Error('the import thread has no database');
    const result =
      job.type === 'measurements'
        ? await importMeasurementFile(database.db, job.file, {
            ...job.options,
            // A Buffer arrives as a plain Uint8Array.
            key: job.options.key === undefined ? undefined : Buffer.from(job.options.key),
          })
        : await importRegistryCsv(database.db, job.text, job.options);
    post({ type: 'done', id: job.id, result });
  } catch (error) {
    post({ type: 'failed', id: job.id, error: serializeError(error) });
  }
}

port.on('message', (message: ToImportThread) => {
  if (message.type === 'open') {
    database = openDatabase(message.url, { poolSize: 2 });
    return;
  }
  queue = queue.then(() => run(message));
});
