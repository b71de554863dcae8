import type { CurvePointInput, IndexReadingInput, MeasurementSink } from './measurement-sink.js';
import { R63_CSV_COLUMNS, R64_CSV_COLUMNS } from '../../domain/r6x-csv-columns.js';

/*
 * R63 and R64 CSV (guide §3.2 and §4.2): one header line of column labels, then one line per point
 * or reading, `;`-separated, `null` for an empty value. Columns are found by their label (accents and
 * case ignored), so the R64 layout with or without the "Etape métier" column of the guide's example
 * is read alike.
 *
 * The file is read as bytes, not text: one pass over each chunk finds the `;` and line ends, a field
 * that repeats the previous line's bytes (the PRM, the quantity, the step … of a curve) is handed on
 * as the same string without decoding it again, and a curve value is parsed from its digits. Only
 * the timestamp and what changed are decoded. This is what keeps a curve import above a million
 * points per second (`publiwatt bench`, stage `import-r63-csv`).
 */

/** Longest line accepted: a line longer than this is not a line of these files (and memory stays bounded). */
export const MAX_CSV_LINE_BYTES = 64 * 1024;
/** More fields than any R6X layout has: counting stops there (the line is refused anyway). */
const MAX_FIELDS = 64;

const SEMICOLON = 0x3b;
const LF = 0x0a;
const CR = 0x0d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** Optional columns: R64 without "Etape métier" (as in the guide's column list). */
const OPTIONAL = new Set(['etape metier']);

function normalise(label: string): string {
  return label
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\.$/, '')
    .trim();
}

const FIELD_COLUMN: Record<string, string> = {
  idPrm: 'Identifiant PRM',
  grandeurPhysique: 'Grandeur physique',
  grandeurMetier: 'Grandeur métier',
  etapeMetier: 'Etape métier',
  unite: 'Unité',
  d: 'Horodate',
  v: 'Valeur',
  n: 'Nature',
  p: 'Pas',
  tc: 'Type de complétion',
  iv: 'Indice de vraisemblance',
  ec: 'Etat complémentaire',
  grille: 'Grille',
  idCalendrier: 'Identifiant calendrier',
  idClasseTemporelle: 'Identifiant classe temporelle',
};

/**
 * Strings of one column, decoded only when its bytes differ from the previous line's: consecutive
 * points of a curve share their PRM, quantity, stage, unit, step and (mostly) nature, so most lines
 * decode nothing but their timestamp.
 */
class ColumnCache {
  private bytes = Buffer.alloc(32);
  private length = -1;
  private value = '';

  get(buf: Buffer, start: number, end: number): string {
    const length = end - start;
    const bytes = this.bytes;
    if (length === this.length) {
      let i = 0;
      while (i < length && buf[start + i] === bytes[i]) i++;
      if (i === length) return this.value;
    }
    if (length > bytes.length) this.bytes = Buffer.alloc(Math.max(length, bytes.length * 2));
    buf.copy(this.bytes, 0, start, end);
    this.length = length;
    this.value = buf.toString('utf8', start, end);
    return this.value;
  }
}

/** Node's own latin1 decoding, without the argument checks of `toString` (it runs once per point). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string })
  .latin1Slice;

/** A field's text: ASCII fields (timestamps) take the cheaper latin1 decoding. */
function decode(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return buf.toString('utf8', start, end);
  return latin1Slice.call(buf, start, end);
}

/** An integer written in plain digits (optionally `-`), or the field's text for the sink to judge. */
function integerField(buf: Buffer, start: number, end: number): number | string {
  const negative = end > start && buf[start] === MINUS;
  let i = negative ? start + 1 : start;
  if (i === end || end - start > 15) return decode(buf, start, end);
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return decode(buf, start, end);
    n = n * 10 + (c - ZERO);
  }
  return negative ? -n : n;
}

/**
 * Finds the `;` and line feeds of `buf[from, to)` in one pass: `seps` receives the position of every
 * `;` of a complete line, `lineEnds[k]` the line feed ending line k and `lineSeps[k]` the number of `;`
 * up to it. Returns the number of complete lines. A plain loop over bytes in a function of its own,
 * which the engine compiles to tight machine code.
 */
function scan(
  buf: Buffer,
  from: number,
  to: number,
  seps: Int32Array,
  lineEnds: Int32Array,
  lineSeps: Int32Array,
): number {
  let sepCount = 0;
  let lineCount = 0;
  for (let i = from; i < to; i++) {
    const byte = buf[i]!;
    if (byte === SEMICOLON) {
      seps[sepCount++] = i;
    } else if (byte === LF) {
      lineEnds[lineCount] = i;
      lineSeps[lineCount++] = sepCount;
    }
  }
  // Separators after the last line feed belong to an incomplete line: they are scanned again with it.
  return lineCount;
}

interface R63Columns {
  prm: number;
  quantity: number;
  grandeurMetier: number;
  stage: number;
  unit: number;
  timestamp: number;
  value: number;
  nature: number;
  step: number;
  tc: number | undefined;
  iv: number;
  ec: number;
}

/** Reads a CSV R63 or R64 file, given as raw bytes, into the sink; returns which flux it was. */
export async function readR6xCsv(
  chunks: AsyncIterable<Buffer>,
  sink: MeasurementSink,
): Promise<'R63' | 'R64'> {
  let kind: 'R63' | 'R64' | undefined;
  let column: Record<string, number> = {};
  let width = 0;
  let lineNumber = 0;
  // One location function for every line: the sink reads it synchronously when it reports.
  const where = (field: string) => `line ${lineNumber} (${FIELD_COLUMN[field] ?? field})`;
  let r63: R63Columns | undefined;
  const caches = Array.from({ length: MAX_FIELDS }, () => new ColumnCache());
  const starts = new Int32Array(MAX_FIELDS);
  const ends = new Int32Array(MAX_FIELDS);
  // One point object reused for every line (the sink copies what it keeps).
  const point: CurvePointInput = {
    prm: undefined,
    quantity: undefined,
    grandeurMetier: undefined,
    stage: undefined,
    unit: undefined,
    timestamp: undefined,
    value: undefined,
    nature: undefined,
    step: undefined,
    tc: undefined,
    iv: undefined,
    ec: undefined,
  };

  const header = (line: string) => {
    const labels = line.split(';').map(normalise);
    kind = labels.includes('nature') ? 'R63' : labels.includes('contexte de releve') ? 'R64' : undefined;
    if (!kind)
      sink.rejectNow('line 1', 'not an R63 or R64 CSV header (expected the column labels of the guide)');
    const expected = (kind === 'R63' ? R63_CSV_COLUMNS : R64_CSV_COLUMNS).map(normalise);
    const missing = expected.filter((l) => !OPTIONAL.has(l) && !labels.includes(l));
    const unknown = labels.filter((l) => !expected.includes(l) && l !== 'type de completion');
    if (missing.length > 0 || unknown.length > 0) {
      sink.rejectNow(
        'line 1',
        `${kind} CSV header ${missing.length ? `lacks ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `has unknown column(s) ${unknown.join(', ')}` : ''}`,
      );
    }
    column = Object.fromEntries(labels.map((l, i) => [l, i]));
    width = labels.length;
    if (kind === 'R63') {
      r63 = {
        prm: column['identifiant prm']!,
        quantity: column['grandeur physique']!,
        grandeurMetier: column['grandeur metier']!,
        stage: column['etape metier']!,
        unit: column['unite']!,
        timestamp: column['horodate']!,
        value: column['valeur']!,
        nature: column['nature']!,
        step: column['pas']!,
        tc: column['type de completion'],
        iv: column['indice de vraisemblance']!,
        ec: column['etat complementaire']!,
      };
    }
  };

  /** An R64 reading (a few lines per PRM-day): decoded as text. */
  const reading = (line: string): IndexReadingInput => {
    const fields = line.split(';');
    const at = (label: string) => {
      const i = column[label];
      return i === undefined ? undefined : fields[i];
    };
    return {
      prm: at('identifiant prm'),
      stage: at('etape metier'),
      grandeurPhysique: at('grandeur physique'),
      grandeurMetier: at('grandeur metier'),
      unit: at('unite'),
      timestamp: at('horodate'),
      grid: at('grille'),
      calendarId: at('identifiant calendrier'),
      timeClass: at('identifiant classe temporelle'),
      value: at('valeur'),
      iv: at('indice de vraisemblance'),
    };
  };

  /**
   * Handles the line `buf[start, end)` whose fields are in `starts`/`ends` (count of them: `count`).
   * Synchronous for a curve point the sink takes at once; a promise only when the sink must wait.
   */
  const line = (buf: Buffer, start: number, end: number, count: number): Promise<void> | undefined => {
    lineNumber++;
    if (kind === undefined) {
      let text = buf.toString('utf8', start, end);
      if (lineNumber === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      header(text);
      return undefined;
    }
    if (start === end) return undefined;
    if (count !== width) {
      sink.error(
        `line ${lineNumber}`,
        `expected ${width} fields separated by ";" but found ${count >= MAX_FIELDS ? `${MAX_FIELDS} or more` : count}`,
      );
      return undefined;
    }
    if (kind === 'R64') return sink.indexReading(reading(buf.toString('utf8', start, end)), where);
    const c = r63!;
    point.prm = caches[c.prm]!.get(buf, starts[c.prm]!, ends[c.prm]!);
    point.quantity = caches[c.quantity]!.get(buf, starts[c.quantity]!, ends[c.quantity]!);
    point.grandeurMetier = caches[c.grandeurMetier]!.get(
      buf,
      starts[c.grandeurMetier]!,
      ends[c.grandeurMetier]!,
    );
    point.stage = caches[c.stage]!.get(buf, starts[c.stage]!, ends[c.stage]!);
    point.unit = caches[c.unit]!.get(buf, starts[c.unit]!, ends[c.unit]!);
    point.timestamp = decode(buf, starts[c.timestamp]!, ends[c.timestamp]!);
    point.value = integerField(buf, starts[c.value]!, ends[c.value]!);
    point.nature = caches[c.nature]!.get(buf, starts[c.nature]!, ends[c.nature]!);
    point.step = caches[c.step]!.get(buf, starts[c.step]!, ends[c.step]!);
    point.tc = c.tc === undefined ? undefined : caches[c.tc]!.get(buf, starts[c.tc]!, ends[c.tc]!);
    point.iv = caches[c.iv]!.get(buf, starts[c.iv]!, ends[c.iv]!);
    point.ec = caches[c.ec]!.get(buf, starts[c.ec]!, ends[c.ec]!);
    return sink.addCurvePoint(point, where) ? undefined : sink.curvePoint(point, where);
  };

  // Lines are scanned in windows of one longest line: bounded work arrays, and a longer line is refused.
  const window = MAX_CSV_LINE_BYTES + 1;
  const seps = new Int32Array(window);
  const lineEnds = new Int32Array(window);
  const lineSeps = new Int32Array(window);

  /** Calls `line` for each of the `lineCount` lines `scan` found from `from`. */
  const lines = async (buf: Buffer, from: number, lineCount: number): Promise<void> => {
    let lineStart = from;
    let sep = 0;
    for (let k = 0; k < lineCount; k++) {
      const lineEnd = lineEnds[k]!;
      const lastSep = lineSeps[k]!;
      let count = 0;
      let fieldStart = lineStart;
      const end = lineEnd > lineStart && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
      for (; sep < lastSep; sep++) {
        if (count < MAX_FIELDS - 1) {
          starts[count] = fieldStart;
          ends[count++] = seps[sep]!;
        }
        fieldStart = seps[sep]! + 1;
      }
      starts[count] = fieldStart;
      ends[count++] = end;
      const pending = line(buf, lineStart, end, count);
      if (pending) await pending;
      lineStart = lineEnd + 1;
    }
  };

  /** Reads the complete lines of `buf`; returns the bytes of the incomplete line after them (a copy). */
  const complete = async (buf: Buffer): Promise<Buffer | undefined> => {
    let from = 0;
    while (from < buf.length) {
      const to = Math.min(buf.length, from + window);
      const lineCount = scan(buf, from, to, seps, lineEnds, lineSeps);
      if (lineCount === 0) {
        if (to - from === window) tooLong();
        break;
      }
      await lines(buf, from, lineCount);
      from = lineEnds[lineCount - 1]! + 1;
    }
    return from < buf.length ? Buffer.from(buf.subarray(from)) : undefined;
  };
  const tooLong = () => sink.rejectNow(`line ${lineNumber + 1}`, `longer than ${MAX_CSV_LINE_BYTES} bytes`);

  let carry: Buffer | undefined;
  let first = true;
  for await (let buf of chunks) {
    if (first && buf.length > 0) {
      // A UTF-8 byte order mark before the header.
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      first = false;
    }
    if (carry !== undefined) {
      // The line cut by the previous chunk: completed alone, the chunk itself is not copied.
      const lf = buf.indexOf(LF);
      if (lf < 0) {
        carry = Buffer.concat([carry, buf]);
        if (carry.length >= window) tooLong();
        continue;
      }
      const rest = await complete(Buffer.concat([carry, buf.subarray(0, lf + 1)]));
      if (rest !== undefined) throw new Error('unreachable: a line feed ends the joined line');
      buf = buf.subarray(lf + 1);
    }
    carry = await complete(buf);
  }
  // The last line, without a line feed.
  if (carry !== undefined) await complete(Buffer.concat([carry, Buffer.from([LF])]));
  if (!kind) sink.rejectNow('line 1', 'empty file');
  return kind;
}
