import type { CurvePointInput, IndexReadingInput, MeasurementSink } from './measurement-sink.js';
import { R63_CSV_COLUMNS, R64_CSV_COLUMNS } from '../../domain/r6x-csv-columns.js';

/*
 * R63 and R64 CSV (guide §3.2 and §4.2): one header line of column labels, then one line per point
 * or reading, `;`-separated, `null` for an empty value. Columns are found by their label (accents and
 * case ignored), so the R64 layout with or without the "Etape métier" column of the guide's example
 * is read alike.
 *
 * The file is read as bytes, not text. A curve line that repeats the previous one but for its
 * timestamp and value is taken in one pass (`RepeatedLine`); any other line is split at its `;`, and a
 * field that repeats the previous line's bytes (the PRM, the quantity, the step … of a curve) is handed
 * on as the same string without decoding it again. Values are parsed from their digits; only the
 * timestamp and what changed are decoded. This is what keeps a curve import above a million points per
 * second (`publiwatt bench`, stage `import-r63-csv`).
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

/** Optional columns of R64: "Etape métier" (absent from the guide's column list). */
const OPTIONAL_R64 = new Set(['etape metier']);

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
  dateDebut: 'Date de début',
  dateFin: 'Date de fin',
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
 * The lines of a curve mostly repeat the previous line but for the timestamp and the value. This
 * remembers the bytes before the timestamp and after the value of the last point line read in full;
 * a line that starts and ends with those same bytes, with a plain timestamp and integer between, is
 * the same point fields with a new time and value: `read` takes it in one pass, without splitting,
 * decoding or checking its other fields again. Any other line is read in full.
 */
class RepeatedLine {
  private prefix = Buffer.alloc(256);
  private prefixLength = -1;
  private suffix = Buffer.alloc(256);
  private suffixLength = -1;

  /**
   * After a point line `buf[start, end)` was read in full: its bytes up to `timestampStart` and from
   * `valueEnd` (the `;` after the value). Only when the value column follows the timestamp column.
   */
  remember(
    buf: Buffer,
    start: number,
    timestampStart: number,
    valueEnd: number,
    end: number,
    adjacent: boolean,
  ) {
    const prefixLength = timestampStart - start;
    const suffixLength = end - valueEnd;
    if (!adjacent || prefixLength > this.prefix.length || suffixLength > this.suffix.length) {
      this.prefixLength = -1;
      return;
    }
    buf.copy(this.prefix, 0, start, timestampStart);
    buf.copy(this.suffix, 0, valueEnd, end);
    this.prefixLength = prefixLength;
    this.suffixLength = suffixLength;
  }

  /**
   * Reads the line at `pos` (complete lines end before `limit`) if it repeats the remembered one: sets
   * the point's timestamp and value and returns where the next line starts; else -1.
   */
  read(buf: Buffer, pos: number, limit: number, point: CurvePointInput): number {
    const prefixLength = this.prefixLength;
    if (prefixLength < 0) return -1;
    const timestampEnd = pos + prefixLength + 19;
    // Room for `;`, a digit, the suffix and a line feed.
    if (timestampEnd + 3 + this.suffixLength > limit) return -1;
    const prefix = this.prefix;
    for (let k = 0; k < prefixLength; k++) if (buf[pos + k] !== prefix[k]) return -1;
    // AAAA-MM-JJ hh:mm:ss: digits, `-`, space and `:` only (so no separator hides in it).
    for (let i = pos + prefixLength; i < timestampEnd; i++) {
      const b = buf[i]!;
      if ((b < ZERO || b > NINE) && b !== MINUS && b !== 0x20 && b !== 0x3a) return -1;
    }
    if (buf[timestampEnd] !== SEMICOLON) return -1;
    let i = timestampEnd + 1;
    const negative = buf[i] === MINUS;
    if (negative) i++;
    const digits = i;
    let value = 0;
    for (; i < limit; i++) {
      const b = buf[i]!;
      if (b < ZERO || b > NINE) break;
      value = value * 10 + (b - ZERO);
    }
    // As `integerField`: at most 15 characters, sign included.
    if (i === digits || i - timestampEnd - 1 > 15 || buf[i] !== SEMICOLON) return -1;
    const suffixLength = this.suffixLength;
    if (i + suffixLength >= limit) return -1;
    const suffix = this.suffix;
    for (let k = 0; k < suffixLength; k++) if (buf[i + k] !== suffix[k]) return -1;
    const after = i + suffixLength;
    let next: number;
    if (buf[after] === LF) next = after + 1;
    else if (buf[after] === CR && buf[after + 1] === LF) next = after + 2;
    else return -1;
    point.timestamp = latin1Slice.call(buf, pos + prefixLength, timestampEnd);
    point.value = negative ? -value : value;
    return next;
  }
}

interface R63Columns {
  prm: number;
  periodStart: number;
  periodEnd: number;
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
  const repeat = new RepeatedLine();
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
    const missing = expected.filter((l) => !(kind === 'R64' && OPTIONAL_R64.has(l)) && !labels.includes(l));
    const unknown = labels.filter((l) => !expected.includes(l) && l !== 'type de completion');
    const twice = labels.find((l, i) => labels.indexOf(l) !== i);
    if (twice !== undefined) sink.rejectNow('line 1', `${kind} CSV header has the column "${twice}" twice`);
    if (missing.length > 0 || unknown.length > 0) {
      sink.rejectNow(
        'line 1',
        `${kind} CSV header ${missing.length ? `lacks ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${
          unknown.length
            ? `has unknown column(s) ${unknown
                .slice(0, 5)
                .map((l) => l.slice(0, 40))
                .join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`
            : ''
        }`,
      );
    }
    column = Object.fromEntries(labels.map((l, i) => [l, i]));
    width = labels.length;
    if (kind === 'R63') {
      r63 = {
        prm: column['identifiant prm']!,
        periodStart: column['date de debut']!,
        periodEnd: column['date de fin']!,
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

  /**
   * The collection window of the lines that follow (« Date de début », « Date de fin »), handed to the
   * sink when it changes: a run of lines shares it, and the repeated-line path never sees it change.
   */
  let windowStart: string | undefined;
  let windowEnd: string | undefined;
  const collectionWindow = (dateDebut: string | undefined, dateFin: string | undefined) => {
    if (dateDebut === windowStart && dateFin === windowEnd) return;
    windowStart = dateDebut;
    windowEnd = dateFin;
    sink.collectionWindow({ dateDebut, dateFin }, where);
  };

  /** An R64 reading (a few lines per PRM-day): decoded as text. */
  const reading = (
    line: string,
  ): { input: IndexReadingInput; periodStart: string | undefined; periodEnd: string | undefined } => {
    const fields = line.split(';');
    const at = (label: string) => {
      const i = column[label];
      return i === undefined ? undefined : fields[i];
    };
    const input: IndexReadingInput = {
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
    return { input, periodStart: at('date de debut'), periodEnd: at('date de fin') };
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
    if (kind === 'R64') {
      const r = reading(buf.toString('utf8', start, end));
      collectionWindow(r.periodStart, r.periodEnd);
      return sink.indexReading(r.input, where);
    }
    const c = r63!;
    collectionWindow(
      caches[c.periodStart]!.get(buf, starts[c.periodStart]!, ends[c.periodStart]!),
      caches[c.periodEnd]!.get(buf, starts[c.periodEnd]!, ends[c.periodEnd]!),
    );
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
    repeat.remember(buf, start, starts[c.timestamp]!, ends[c.value]!, end, c.value === c.timestamp + 1);
    return sink.addCurvePoint(point, where) ? undefined : sink.curvePoint(point, where);
  };

  /** Splits the line `buf[start, lf)` at its `;` and hands it to `line`. */
  const splitLine = (buf: Buffer, start: number, lf: number): Promise<void> | undefined => {
    if (lf - start > MAX_CSV_LINE_BYTES) tooLong();
    const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    let count = 0;
    let fieldStart = start;
    for (let i = start; i < end; i++) {
      if (buf[i] === SEMICOLON) {
        if (count < MAX_FIELDS - 1) {
          starts[count] = fieldStart;
          ends[count++] = i;
        }
        fieldStart = i + 1;
      }
    }
    starts[count] = fieldStart;
    ends[count++] = end;
    return line(buf, start, end, count);
  };

  /** Reads the complete lines of `buf`; returns the bytes of the incomplete line after them (a copy). */
  const complete = async (buf: Buffer): Promise<Buffer | undefined> => {
    const limit = buf.lastIndexOf(LF) + 1;
    let pos = 0;
    while (pos < limit) {
      const next = kind === 'R63' ? repeat.read(buf, pos, limit, point) : -1;
      if (next >= 0) {
        lineNumber++;
        if (!sink.addCurvePoint(point, where)) await sink.curvePoint(point, where);
        pos = next;
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      const pending = splitLine(buf, pos, lf);
      if (pending) await pending;
      pos = lf + 1;
    }
    if (buf.length - limit >= window) tooLong();
    return limit < buf.length ? Buffer.from(buf.subarray(limit)) : undefined;
  };
  const window = MAX_CSV_LINE_BYTES + 1;
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
      await complete(Buffer.concat([carry, buf.subarray(0, lf + 1)]));
      buf = buf.subarray(lf + 1);
    }
    carry = await complete(buf);
  }
  // The last line, without a line feed.
  if (carry !== undefined) await complete(Buffer.concat([carry, Buffer.from([LF])]));
  if (!kind) sink.rejectNow('line 1', 'empty file');
  return kind;
}
