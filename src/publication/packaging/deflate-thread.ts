import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../worker-thread.js';

/** Main thread → deflate thread. */
export type ToDeflateThread =
  | { type: 'open'; id: number; level: number; chunkSize: number }
  | { type: 'write'; id: number; chunk: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'abort'; id: number };

/** Deflate thread → main thread. `taken`: that many input bytes went through zlib. */
export type FromDeflateThread =
  | { type: 'data'; id: number; chunk: Uint8Array }
  | { type: 'taken'; id: number; bytes: number }
  | { type: 'end'; id: number; crc: number; size: number }
  | { type: 'error'; id: number; message: string };

/** What `deflateInThread` returns once its output is out: CRC-32 and size of the input. */
export interface DeflateSummary {
  crc: number;
  size: number;
}

/** Input is sent in batches of this size, copied into a buffer that is then transferred, not copied. */
const BATCH = 1 << 20;
/** Input sent and not yet through zlib, or output not yet read, beyond which the input waits. */
const IN_FLIGHT = 4 << 20;

/** A job's side in the main thread: what the thread sent, and who waits for it (the feeder, the reader). */
class JobInbox {
  readonly output: Buffer[] = [];
  outputBytes = 0;
  inFlight = 0;
  summary: DeflateSummary | undefined;
  error: Error | undefined;
  private waiting: Array<() => void> = [];

  /** Resolves once `ready()` holds or the job failed. */
  async until(ready: () => boolean): Promise<void> {
    while (!ready() && !this.error) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  notify(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}

/**
 * One worker thread shared by the process's zip writers. Created on first use, it holds the process
 * open only while a job runs; a thread that dies fails its jobs and the next job starts a new one.
 */
class DeflateThread {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, JobInbox>();
  private lastId = 0;

  open(level: number, chunkSize: number): { id: number; inbox: JobInbox } {
    const worker = (this.worker ??= this.start());
    const id = ++this.lastId;
    const inbox = new JobInbox();
    this.jobs.set(id, inbox);
    worker.ref();
    this.post({ type: 'open', id, level, chunkSize });
    return { id, inbox };
  }

  post(message: ToDeflateThread, transfer?: ArrayBuffer[]): void {
    this.worker?.postMessage(message, transfer);
  }

  close(id: number, abort: boolean): void {
    if (!this.jobs.delete(id)) return;
    if (abort) this.post({ type: 'abort', id });
    if (this.jobs.size === 0) this.worker?.unref();
  }

  private start(): Worker {
    const worker = startModuleWorker(import.meta.url, 'deflate.worker');
    worker.unref();
    worker.on('message', (message: FromDeflateThread) => this.receive(message));
    const fail = (error: Error) => {
      // 'error' is followed by 'exit': the jobs of this worker fail once.
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const inbox of this.jobs.values()) {
        inbox.error ??= error;
        inbox.notify();
      }
      this.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the deflate thread stopped (exit code ${code})`)));
    return worker;
  }

  private receive(message: FromDeflateThread): void {
    const inbox = this.jobs.get(message.id);
    if (!inbox) return;
    if (message.type === 'data') {
      const chunk = Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
      inbox.output.push(chunk);
      inbox.outputBytes += chunk.length;
    } else if (message.type === 'taken') inbox.inFlight -= message.bytes;
    else if (message.type === 'end') inbox.summary = { crc: message.crc, size: message.size };
    else inbox.error ??= new Error(message.message);
    inbox.notify();
  }
}

const thread = new DeflateThread();

/**
 * Raw deflate (zlib, `level`) of `source` in a worker thread, yielding the compressed bytes as they come
 * and returning the input's CRC-32 and size. This thread only copies the input into 1 MiB batches; at
 * most 4 MiB of input, or of output not yet read, is under way. The output is zlib's for the same input
 * and level, however the input is cut. An error of `source` or of zlib is thrown here; a consumer that
 * stops early ends the job and stops reading `source`.
 */
export async function* deflateInThread(
  source: AsyncIterable<Buffer | string>,
  options: { level: number; chunkSize: number },
): AsyncGenerator<Buffer, DeflateSummary> {
  const { id, inbox } = thread.open(options.level, options.chunkSize);
  let stopped = false;
  const room = () => stopped || (inbox.inFlight < IN_FLIGHT && inbox.outputBytes < IN_FLIGHT);
  const send = async (batch: Buffer) => {
    await inbox.until(room);
    if (stopped || inbox.error) return;
    inbox.inFlight += batch.length;
    thread.post({ type: 'write', id, chunk: batch }, [batch.buffer as ArrayBuffer]);
  };
  const feeding = (async () => {
    // A buffer of its own (never from the shared pool), so that transferring it moves nothing else.
    let batch = Buffer.allocUnsafeSlow(BATCH);
    let filled = 0;
    for await (const part of source) {
      if (stopped || inbox.error) return;
      const chunk = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      for (let offset = 0; offset < chunk.length;) {
        const copied = chunk.copy(batch, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === BATCH) {
          await send(batch);
          batch = Buffer.allocUnsafeSlow(BATCH);
          filled = 0;
        }
      }
    }
    if (filled > 0) await send(batch.subarray(0, filled));
    if (!stopped && !inbox.error) thread.post({ type: 'end', id });
  })().catch((error: unknown) => {
    inbox.error ??= error instanceof Error ? error : new Error(String(error));
    inbox.notify();
  });
  try {
    for (;;) {
      await inbox.until(() => inbox.output.length > 0 || inbox.summary !== undefined);
      if (inbox.error) throw inbox.error;
      const chunk = inbox.output.shift();
      if (chunk) {
        inbox.outputBytes -= chunk.length;
        inbox.notify();
        yield chunk;
      } else if (inbox.summary) {
        await feeding;
        return inbox.summary;
      }
    }
  } finally {
    // A feeder waiting for room or for the source stops at its next step; it is not awaited, as the
    // source may be slow to answer (its error, if any, has nobody left to tell).
    stopped = true;
    thread.close(id, inbox.summary === undefined);
    inbox.notify();
  }
}
