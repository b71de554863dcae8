import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The check `npm test` runs on the portal's JSX, on one page written for the occasion. */
function scan(page: string): { status: number | null; output: string } {
  // Inside the checkout, so that @kitajs/html resolves as it does for the portal.
  mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, 'node_modules/.cache/xss-'));
  try {
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          jsx: 'react-jsx',
          jsxImportSource: '@kitajs/html',
          skipLibCheck: true,
          types: [],
        },
        include: ['page.tsx'],
      }),
    );
    writeFileSync(path.join(dir, 'page.tsx'), page);
    const result = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/@kitajs/ts-html-plugin/dist/cli.js'), '-p', 'tsconfig.json'],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    return { status: result.status, output: result.stdout + result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('a text put in a page without `safe` fails the check; with it, it passes', () => {
  const unsafe = scan('export const page = (name: string) => <p>Bonjour {name}</p>;\n');
  assert.equal(unsafe.status, 1, unsafe.output);
  assert.match(unsafe.output, /K601/);
  const safe = scan('export const page = (name: string) => <p safe>Bonjour {name}</p>;\n');
  assert.equal(safe.status, 0, safe.output);
});
