import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { ERROR_STATUS } from '../../src/domain/app-error.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function filesUnder(dir: string, pattern: RegExp, out: string[] = []): string[] {
  for (const entry of readdirSync(path.join(ROOT, dir))) {
    const relative = path.join(dir, entry);
    if (statSync(path.join(ROOT, relative)).isDirectory()) filesUnder(relative, pattern, out);
    else if (pattern.test(entry)) out.push(relative);
  }
  return out;
}

const MARKDOWN = ['README.md', 'ARCHITECTURE.md', ...filesUnder('docs', /\.md$/)];
const SOURCES = [...filesUnder('src', /\.tsx?$/), ...filesUnder('scripts', /\.mjs$/)];
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** GitHub's anchor of a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  return new Set(
    read(file)
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => slug(line.replace(/^#+ /, ''))),
  );
}

it('every link between the documents leads to a file, and to a heading of it', () => {
  const broken: string[] = [];
  for (const file of MARKDOWN) {
    for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?|mailto):/.test(target!)) continue;
      const [pathPart, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = pathPart === '' ? file : path.join(path.dirname(file), pathPart);
      if (!existsSync(path.join(ROOT, resolved))) broken.push(`${file}: ${target} (no file)`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
        broken.push(`${file}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

it('every document named in the code and the documents exists, with the section it is cited for', () => {
  const broken: string[] = [];
  for (const file of [...MARKDOWN, ...SOURCES]) {
    const text = read(file);
    for (const [, doc, section] of text.matchAll(/\b(docs\/[\w-]+\.md)(?:`?\s+"([^"]+)")?/g)) {
      if (!existsSync(path.join(ROOT, doc!))) broken.push(`${file}: ${doc} (no file)`);
      else if (section !== undefined && !read(doc!).includes(section))
        broken.push(`${file}: ${doc} "${section}"`);
    }
    // Everything a maintainer needs is inside the repository.
    for (const [outside] of text.matchAll(/\bDESIGN\.md\b|\breference\/(?:enedis|seed)\b/g)) {
      broken.push(`${file}: ${outside} is not in the repository`);
    }
  }
  assert.deepEqual(broken, []);
});

it('every source, script and test file the documents name exists', () => {
  const broken: string[] = [];
  for (const file of MARKDOWN) {
    for (const [named] of read(file).matchAll(/\b(?:src|test|scripts)\/[\w./-]+\.(?:tsx?|mjs)\b/g)) {
      if (!existsSync(path.join(ROOT, named))) broken.push(`${file}: ${named}`);
    }
  }
  assert.deepEqual(broken, []);
});

it('the API error table lists every error code with its HTTP status', () => {
  const rows = new Map<string, number>();
  for (const line of read('docs/api.md').split('\n')) {
    const cells = /^\| (`[A-Z0-9_]+`(?:, `[A-Z0-9_]+`)*) \| (\d{3}) \|/.exec(line);
    if (!cells) continue;
    for (const [, code] of cells[1]!.matchAll(/`([A-Z0-9_]+)`/g)) rows.set(code!, Number(cells[2]));
  }
  const wrong = Object.entries(ERROR_STATUS)
    .filter(([code, status]) => rows.get(code) !== status)
    .map(([code, status]) => `${code} ${status}: table says ${rows.get(code) ?? 'nothing'}`);
  assert.deepEqual(wrong, []);
  const unknown = [...rows.keys()].filter((code) => !Object.hasOwn(ERROR_STATUS, code));
  assert.deepEqual(unknown, [], 'codes in the table that the code does not have');
});
