import { parentPort } from 'node:worker_threads';
import { createDeflateRaw, crc32, type DeflateRaw } from 'node:zlib';
import type { FromDeflateThread, ToDeflateThread } from './deflate-thread.js';

/*
 * The deflate thread: raw deflate and CRC-32 of the jobs the main thread opens, each a zlib stream. Its
 * event loop does nothing else, so a job's next input is handed to zlib as soon as the previous one is
 * done, however busy the main thread is reading and writing the file.
 */

interface Job {
  deflate: DeflateRaw;
  crc: number;
  size: number;
}

const port = parentPort;
if (!port) throw new Error('deflate.worker runs in a worker thread');
const jobs = new Map<number, Job>();
const post = (message: FromDeflateThread) => port.postMessage(message);

function open(id: number, level: number, chunkSize: number): void {
  const job: Job = { deflate: createDeflateRaw({ level, chunkSize }), crc: 0, size: 0 };
  jobs.set(id, job);
  // Output chunks are views of zlib's shared buffer: posted as copies, never transferred.
  job.deflate.on('data', (chunk: Buffer) => post({ type: 'data', id, chunk }));
  job.deflate.on('end', () => {
    jobs.delete(id);
    post({ type: 'end', id, crc: job.crc, size: job.size });
  });
  job.deflate.on('error', (error: Error) => {
    jobs.delete(id);
    post({ type: 'error', id, message: error.message });
  });
}

port.on('message', (message: ToDeflateThread) => {
  if (message.type === 'open') return open(message.id, message.level, message.chunkSize);
  // A job that failed or was aborted ignores what was still on its way.
  const job = jobs.get(message.id);
  if (!job) return;
  if (message.type === 'write') {
    const chunk = Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
    job.crc = crc32(chunk, job.crc);
    job.size += chunk.length;
    job.deflate.write(chunk, () => post({ type: 'taken', id: message.id, bytes: chunk.length }));
  } else if (message.type === 'end') {
    job.deflate.end();
  } else {
    jobs.delete(message.id);
    job.deflate.destroy();
  }
});
