// A publication worker in its own process, for crash tests: it claims the pending run and stops
// forever at a chosen point, waiting to be killed. Environment:
//   CHILD_DATABASE_URL, CHILD_DATA_DIR, CHILD_NOW (ISO), CHILD_MODE = mid-write | before-commit
import { pino } from 'pino';
import { parseDatabaseUrl } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { LocalArchiveStorage } from '../../src/publication/archive/archive-storage.js';
import { createPublicationEngine } from '../../src/publication/publication-engine.js';
import { StoreContentSource } from '../../src/publication/store-content-source.js';
import type { PublicationContentSource } from '../../src/publication/publication-content.js';
import path from 'node:path';
import type { Readable } from 'node:stream';

const forever = () => new Promise<never>(() => undefined);
const paused = () => process.stdout.write('PAUSED\n');
const mode = process.env.CHILD_MODE;
const dataDir = process.env.CHILD_DATA_DIR!;
const database = openDatabase(parseDatabaseUrl(process.env.CHILD_DATABASE_URL!));
const store = new StoreContentSource(database.db);

/** Hands over the first PRM block, then hangs: the file is being written when the process dies. */
const content: PublicationContentSource =
  mode === 'mid-write'
    ? {
        hasContent: (scope) => store.hasContent(scope),
        indexBlocks: (scope) => store.indexBlocks(scope),
        async *curveBlocks(scope) {
          for await (const block of store.curveBlocks(scope)) {
            yield block;
            // Large enough that the first chunks reach the temporary file before the pause.
            setTimeout(paused, 300);
            await forever();
          }
        },
      }
    : store;

/** Finishes the file under its final name, then hangs before the run's transaction. */
class StallAfterWrite extends LocalArchiveStorage {
  override async write(key: string, source: Readable): Promise<void> {
    await super.write(key, source);
    paused();
    await forever();
  }
}

const storage = mode === 'before-commit' ? new StallAfterWrite(path.join(dataDir, 'archive')) : undefined;
const engine = createPublicationEngine({
  config: { dataDir, masterKey: Buffer.alloc(32, 0x42) },
  database,
  clock: { now: () => new Date(process.env.CHILD_NOW!) },
  logger: pino({ level: 'silent' }),
  notifier: { notify: () => Promise.resolve() },
  content,
  storage,
  owner: `child-${mode}`,
});
await engine.runPending({ limit: 1 });
process.stdout.write('NOT PAUSED\n');
