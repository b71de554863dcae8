import { createHash } from 'node:crypto';
import type { Db } from '../../src/db/database.js';
import type { RawOutcome } from './fuzz-targets.js';

/**
 * The oracle of the import fuzz suite: an import either takes the whole file or refuses it with a
 * message naming the place (file and line, JSON path, zip entry, or the archive or key), and a
 * refusal changes no row. Never a 500, an internal error, a stack trace or no answer at all.
 */

/** Every row of the measurement tables, hashed in key order: any new version or content changes it. */
export interface StoreDigest {
  curveRows: number;
  indexRows: number;
  hash: string;
}

export async function measurementDigest(db: Db): Promise<StoreDigest> {
  const hash = createHash('sha256');
  const curves = await db
    .selectFrom('curve_day')
    .selectAll()
    .orderBy('prm')
    .orderBy('day')
    .orderBy('quantity')
    .orderBy('stage')
    .orderBy('stored_at')
    .execute();
  for (const row of curves) {
    hash.update(
      `${row.prm}|${row.day}|${row.quantity}|${row.stage}|${row.step_minutes}|${row.stored_at}|${row.superseded_at}|`,
    );
    hash.update(row.vals);
    hash.update(row.qualities);
  }
  const readings = await db
    .selectFrom('index_reading')
    .selectAll()
    .orderBy('prm')
    .orderBy('day')
    .orderBy('register')
    .orderBy('stored_at')
    .execute();
  for (const row of readings) {
    hash.update(
      `${row.prm}|${row.day}|${row.register}|${row.value_wh}|${row.iv}|${row.stored_at}|${row.superseded_at}\n`,
    );
  }
  return { curveRows: curves.length, indexRows: readings.length, hash: hash.digest('hex') };
}

export function sameDigest(a: StoreDigest, b: StoreDigest): boolean {
  return a.hash === b.hash;
}

export type OutcomeKind = 'imported' | 'rejected' | 'broken';

export interface Verdict {
  outcome: OutcomeKind;
  /** Error code of a refusal (`IMPORT_REJECTED`, `DECRYPTION_FAILED`, …). */
  code?: string;
  /** Versions the import says it created (curve days + readings + corrected days). */
  changed?: number;
  /** The answer in short: the first error line of a refusal, the counts of an import. */
  answer?: string;
  violations: string[];
}

export interface JudgeContext {
  /** The name the import was given (API `fileName`) or the path (CLI): messages must name it. */
  fileName: string;
  /** Why the file must be refused, when it must. */
  mustReject?: string;
  /** The unmutated published file: must import and change nothing. */
  control?: boolean;
  before: StoreDigest;
  after: StoreDigest;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a refusal names its place: the file (or a zip entry of it) followed by a line, a JSON path
 * or `file` (a rule about the whole file); or a zip entry, the archive, the key or the encryption when
 * the file could not be opened.
 */
export function namesPlace(text: string, fileName: string): boolean {
  const place = new RegExp(`${escape(fileName)}(/[^:\\n]+)?: (line \\d+|\\$(?=[.\\[:\\s])|file\\b)`);
  if (place.test(text)) return true;
  // The file's own name (`….zip`, `….zip/….csv`) says nothing about where the file is wrong.
  const rest = text.replace(new RegExp(`${escape(fileName)}(/[^:\\s]+)?`, 'g'), '');
  return /\b(zip|archive|entry|key|decrypt\w*|encrypt\w*)\b/i.test(rest) || /clé|archive|chiffr/i.test(rest);
}

const SHORT = 300;
/** One line of at most SHORT characters (a stack trace folded onto it). */
function short(text: string | undefined): string {
  const line = (text ?? '').replace(/\s*\n\s*/g, ' ⏎ ');
  return line.length > SHORT ? `${line.slice(0, SHORT)}…` : line;
}

/** Judges one answer of the API (`api`, `api-http`) or of the CLI (`cli`, `cli-process`). */
export function judge(raw: RawOutcome, context: JudgeContext): Verdict {
  const verdict = raw.target.startsWith('api') ? judgeApi(raw, context) : judgeCli(raw, context);
  const changedRows = !sameDigest(context.before, context.after);
  if (verdict.outcome === 'rejected' && changedRows) verdict.violations.push('refused, yet rows changed');
  if (verdict.outcome === 'imported') {
    if (changedRows && verdict.changed === 0)
      verdict.violations.push('rows changed, yet the summary reports no change');
    if (context.mustReject)
      verdict.violations.push(`imported a file that must be refused (${context.mustReject})`);
    if (context.control && (changedRows || verdict.changed !== 0))
      verdict.violations.push(`re-importing a published file changed ${verdict.changed} version(s)`);
  }
  if (verdict.outcome === 'rejected' && context.control)
    verdict.violations.push(`a published file was refused (${verdict.code})`);
  return verdict;
}

function judgeApi(raw: RawOutcome, context: JudgeContext): Verdict {
  const broken = (violation: string): Verdict => ({
    outcome: 'broken',
    answer: violation,
    violations: [violation],
  });
  if (raw.timedOut) return broken('no answer (hung)');
  if (raw.thrown !== undefined) return broken(`request failed: ${short(raw.thrown)}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.body ?? '') as Record<string, unknown>;
  } catch {
    return broken(`HTTP ${raw.status} with a body that is not JSON: ${short(raw.body)}`);
  }
  if (raw.status === 200) {
    const counts = ['curveDaysChanged', 'indexReadingsChanged', 'bestDaysChanged'].map((k) => body[k]);
    if (!Array.isArray(body.parts) || body.parts.length === 0 || counts.some((c) => typeof c !== 'number'))
      return broken(`HTTP 200 without an import summary: ${short(raw.body)}`);
    const changed = (counts as number[]).reduce((a, b) => a + b, 0);
    return { outcome: 'imported', changed, answer: `${changed} version(s) changed`, violations: [] };
  }
  if (raw.status !== 400 && raw.status !== 413) return broken(`HTTP ${raw.status}: ${short(raw.body)}`);
  const violations: string[] = [];
  const code = typeof body.code === 'string' ? body.code : undefined;
  if (!code || !/^[A-Z][A-Z0-9_]+$/.test(code)) violations.push(`HTTP ${raw.status} without an error code`);
  if (code === 'INTERNAL') violations.push('an internal error');
  if (typeof body.message !== 'string' || body.message.length === 0) violations.push('no message');
  const errors = Array.isArray(body.errors) ? body.errors.map(String) : [];
  const text = [String(body.message ?? ''), ...errors].join('\n');
  if (code !== 'INTERNAL' && !namesPlace(text, context.fileName))
    violations.push(`the refusal does not name the place: ${code}: ${short(text)}`);
  return { outcome: 'rejected', code, answer: short(errors[0] ?? String(body.message ?? '')), violations };
}

function judgeCli(raw: RawOutcome, context: JudgeContext): Verdict {
  const broken = (violation: string): Verdict => ({
    outcome: 'broken',
    answer: violation,
    violations: [violation],
  });
  if (raw.timedOut) return broken('no answer (hung)');
  if (raw.thrown !== undefined) return broken(`the command threw or was killed: ${short(raw.thrown)}`);
  const stdout = raw.stdout ?? '';
  const stderr = raw.stderr ?? '';
  if (raw.status === 0) {
    const summary =
      / (\d+) curve day\(s\), (\d+) reading\(s\), (\d+) corrected day\(s\) created or changed/.exec(stdout);
    if (!summary) return broken(`exit 0 without an import summary: ${short(stdout)}`);
    const violations = stderr.trim().length > 0 ? [`exit 0 with stderr: ${short(stderr)}`] : [];
    const changed = Number(summary[1]) + Number(summary[2]) + Number(summary[3]);
    return { outcome: 'imported', changed, answer: `${changed} version(s) changed`, violations };
  }
  if (raw.status !== 1) return broken(`exit ${raw.status}: ${short(stderr)}`);
  const violations: string[] = [];
  const lines = stderr.replace(/\n$/, '').split('\n');
  const head = /^publiwatt: ([A-Za-z_]+): (.+)$/.exec(lines[0] ?? '');
  const code = head?.[1];
  if (!head) violations.push(`stderr does not start with "publiwatt: CODE: …": ${short(stderr)}`);
  else if (code === 'error') violations.push(`an internal error: ${short(lines[0])}`);
  if (lines.filter((l) => l.startsWith('publiwatt:')).length > 1) violations.push('more than one error line');
  if (/^\s+at\s/m.test(stderr)) violations.push(`a stack trace on stderr: ${short(stderr)}`);
  // Below the error line, only the refused file's own error lines (IMPORT_REJECTED lists them).
  const strays = lines
    .slice(1)
    .filter((l) => !l.startsWith(context.fileName) && !/^\(stopped after \d+ errors\)$/.test(l));
  if (strays.length > 0) violations.push(`unexpected stderr lines: ${short(strays.join(' | '))}`);
  if (code !== 'error' && !namesPlace(stderr, context.fileName))
    violations.push(`the refusal does not name the place: ${short(stderr)}`);
  return {
    outcome: 'rejected',
    code: code === 'error' ? 'INTERNAL' : code,
    answer: short(lines.length > 1 ? lines[1] : lines[0]),
    violations,
  };
}
