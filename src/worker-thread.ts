import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Starts a worker thread on a module given as a URL relative to the caller: the compiled `.js` file, or,
 * when the caller itself runs from the TypeScript sources (the tests), its `.ts` file loaded through
 * tsx's API, since a worker thread does not inherit the loader of the main thread.
 */
export function startModuleWorker(
  callerUrl: string,
  moduleBaseName: string,
  options: { resourceLimits?: ResourceLimits } = {},
): Worker {
  const typescript = callerUrl.endsWith('.ts');
  const url = new URL(`./${moduleBaseName}${typescript ? '.ts' : '.js'}`, callerUrl);
  return typescript
    ? new Worker(
        `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(callerUrl)}))`,
        { eval: true, ...options },
      )
    : new Worker(url, options);
}
