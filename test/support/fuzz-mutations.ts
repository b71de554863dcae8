import { createDecipheriv, createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { DEFAULT_IMPORT_LIMITS } from '../../src/meterdata/import/import-limits.js';
import { derive, encrypt, type CorpusEntry, type ImportCorpus } from './fuzz-corpus.js';
import { FuzzRandom } from './fuzz-random.js';
import { buildZip, referenceRead, zipLayout, ZIP_FIELDS } from './fuzz-zip.js';
import { BETA_SIREN } from './publication-fixtures.js';

/**
 * The mutations of the import fuzz suite. A case takes one file of the corpus (inner file, zip or
 * encrypted zip) and applies one or two mutations, each at its layer: the R63/R64 content, the
 * packaging (what the archive holds), the archive's bytes, the encrypted bytes. Each mutation says
 * whether the result must be refused; a reference reader (decryption, then `referenceRead`) adds
 * what any careful reader must notice (bad padding, CRC or size, expansion beyond the limit).
 */
export const MUTATION_KINDS = [
  'truncate',
  'flip',
  'deflate-flip',
  'zip-lie',
  'json-duplicate',
  'field-removed',
  'proto-key',
  'huge-number',
  'bad-date',
  'deep-nesting',
  'long-string',
  'zip-bomb',
  'nested-zip',
  'two-files',
  'wrong-key',
  'bom',
  'csv-separators',
  'wrong-recipient',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

type Layer = 'content' | 'packaging' | 'archive' | 'encrypted';
const LAYER_ORDER: readonly Layer[] = ['content', 'packaging', 'archive', 'encrypted'];

export interface AppliedMutation {
  kind: MutationKind;
  layer: Layer;
  /** What was done, e.g. `line 17 field 9 → 1e20`. */
  detail: string;
  /** Why the result must be refused, when it must. */
  mustReject?: string;
}

export interface FuzzCase {
  seed: number;
  number: number;
  entry: CorpusEntry;
  mutations: AppliedMutation[];
  bytes: Buffer;
  fileName: string;
  key?: Buffer;
  /** Why the import must refuse this file; undefined when importing it whole is also right. */
  mustReject?: string;
  /** `R63A-BRUT-CSV/zip: flip@content(…) + zip-lie@archive(…)`. */
  description: string;
}

/** Size of the long string (a few MB: far beyond any R6X field, far below memory). */
const LONG_STRING_BYTES = 3 * 1024 * 1024;
const DEEP_NESTING = 100_000;
/** Spaces (JSON) or empty lines (CSV) of the zip bomb: deflate shrinks them ~1000×. */
const BOMB_PADDING_BYTES = 10 * 1000 * 1000;
const HUGE_NUMBERS = ['2147483648', '4294967297', '1e20', '1e308', '-1e400', '1234567890123456'] as const;
/** Index readings (Wh) that are large but still within the meter's range. */
const PLAUSIBLE_INDEX = new Set(['2147483648', '4294967297']);
const BAD_DATES = ['9999-12-31 00:00:00', '1900-01-01 00:00:00', '2023-02-30 00:00:00', '24:00:00'] as const;

const JSON_ONLY: ReadonlySet<MutationKind> = new Set([
  'json-duplicate',
  'proto-key',
  'deep-nesting',
  'wrong-recipient',
]);
const PACKAGING: ReadonlySet<MutationKind> = new Set(['zip-bomb', 'nested-zip', 'two-files']);
/** Content mutations that may cut or garble another content mutation away. */
const DESTRUCTIVE = new Set(['truncate@content', 'flip@content', 'field-removed@content']);

function applicable(kind: MutationKind, entry: CorpusEntry): boolean {
  if (JSON_ONLY.has(kind)) return entry.file.format === 'JSON';
  if (kind === 'csv-separators') return entry.file.format === 'CSV';
  if (kind === 'zip-lie' || kind === 'deflate-flip') return entry.container !== 'plain';
  return true;
}

function layerOf(kind: MutationKind, entry: CorpusEntry, rng: FuzzRandom): Layer {
  if (PACKAGING.has(kind)) return 'packaging';
  if (kind === 'zip-lie' || kind === 'deflate-flip') return 'archive';
  if (kind === 'wrong-key') return 'encrypted';
  if (kind === 'truncate' || kind === 'flip') {
    if (entry.container === 'plain') return 'content';
    if (entry.container === 'zip') return rng.pick(['content', 'archive'] as const);
    return rng.pick(['content', 'archive', 'encrypted'] as const);
  }
  return 'content';
}

/** A case of a run: the same (seed, number) always gives the same bytes. */
export async function makeCase(seed: number, number: number, corpus: ImportCorpus): Promise<FuzzCase> {
  const rng = FuzzRandom.forCase(seed, number);
  const first = rng.pick(MUTATION_KINDS);
  const entry = rng.pick(corpus.entries.filter((e) => applicable(first, e)));
  const kinds = [first];
  if (rng.chance(0.35)) {
    const others = MUTATION_KINDS.filter(
      (k) => k !== first && applicable(k, entry) && !(PACKAGING.has(k) && PACKAGING.has(first)),
    );
    kinds.push(rng.pick(others));
  }
  const steps = kinds
    .map((kind) => ({ kind, layer: layerOf(kind, entry, rng) }))
    .sort(
      (a, b) => LAYER_ORDER.indexOf(a.layer) - LAYER_ORDER.indexOf(b.layer) || order(a.kind) - order(b.kind),
    );
  return new CaseBuilder(seed, number, corpus, entry, rng).build(steps);
}

/** Within the content layer, mutations that remove or garble run last, so they see the others' work. */
function order(kind: MutationKind): number {
  return ['field-removed', 'flip', 'truncate'].indexOf(kind) + 1;
}

const bombCache = new Map<string, { data: Buffer; crc: number; size: number }>();

/** The content padded to a bomb, deflated (cached: most bombs pad an unchanged published file). */
function bombOf(content: Buffer, json: boolean): { data: Buffer; crc: number; size: number } {
  const cacheKey = createHash('sha256').update(content).digest('hex') + (json ? 'j' : 'c');
  const cached = bombCache.get(cacheKey);
  if (cached) return cached;
  const brace = content.indexOf(0x7b);
  const cut = json ? (brace >= 0 ? brace + 1 : 0) : content.length;
  const padded = Buffer.concat([
    content.subarray(0, cut),
    Buffer.alloc(BOMB_PADDING_BYTES, json ? 0x20 : 0x0a),
    content.subarray(cut),
  ]);
  const bomb = { data: deflateRawSync(padded, { level: 9 }), crc: crc32(padded), size: padded.length };
  bombCache.set(cacheKey, bomb);
  return bomb;
}

class CaseBuilder {
  private content: Buffer;
  private contentChanged = false;
  private zip: Buffer | undefined;
  private bytes: Buffer | undefined;
  private key: Buffer | undefined;
  private readonly applied: AppliedMutation[] = [];

  constructor(
    private readonly seed: number,
    private readonly number: number,
    private readonly corpus: ImportCorpus,
    private readonly entry: CorpusEntry,
    private readonly rng: FuzzRandom,
  ) {
    this.content = entry.file.inner;
    this.key = entry.key;
  }

  async build(steps: Array<{ kind: MutationKind; layer: Layer }>): Promise<FuzzCase> {
    let packaged = false;
    for (const step of steps) {
      if (step.layer !== 'content' && !packaged) {
        if (step.layer !== 'packaging') this.packageAsIs();
        packaged = true;
      }
      if (step.layer === 'encrypted' && this.bytes === undefined) await this.seal();
      this.applied.push({ kind: step.kind, layer: step.layer, ...this.apply(step.kind, step.layer) });
    }
    if (!packaged) this.packageAsIs();
    if (this.bytes === undefined) await this.seal();
    const mustReject = this.verdict();
    const description =
      `${this.entry.id}: ` + this.applied.map((m) => `${m.kind}@${m.layer}(${m.detail})`).join(' + ');
    return {
      seed: this.seed,
      number: this.number,
      entry: this.entry,
      mutations: this.applied,
      bytes: this.bytes!,
      fileName: this.entry.fileName,
      key: this.key,
      mustReject,
      description,
    };
  }

  /** The archive of the (possibly mutated) content, or the content itself for a plain entry. */
  private packageAsIs(): void {
    if (this.entry.container === 'plain') {
      this.bytes = this.content;
      return;
    }
    this.zip = this.contentChanged
      ? buildZip([{ name: this.entry.file.innerName, content: this.content }])
      : this.entry.file.zip;
  }

  private async seal(): Promise<void> {
    if (this.zip === undefined) return;
    if (this.entry.container !== 'encrypted') {
      this.bytes = this.zip;
      return;
    }
    this.bytes =
      this.zip === this.entry.file.zip
        ? this.entry.bytes
        : await encrypt(this.zip, this.entry.key!, derive(`iv|${this.seed}|${this.number}`).subarray(0, 16));
  }

  private apply(kind: MutationKind, layer: Layer): { detail: string; mustReject?: string } {
    switch (layer) {
      case 'content':
        return this.applyToContent(kind);
      case 'packaging':
        return this.applyPackaging(kind);
      case 'archive':
        return this.applyToArchive(kind);
      case 'encrypted':
        return this.applyToEncrypted(kind);
    }
  }

  // ——— content ———

  private applyToContent(kind: MutationKind): { detail: string; mustReject?: string } {
    const json = this.entry.file.format === 'JSON';
    const text = this.content.toString('utf8');
    let result: { text?: string; bytes?: Buffer; detail: string; mustReject?: string } | undefined;
    switch (kind) {
      case 'truncate': {
        const at = this.rng.int(0, Math.max(0, this.content.length - 1));
        result = { bytes: this.content.subarray(0, at), detail: `at byte ${at} of ${this.content.length}` };
        break;
      }
      case 'flip':
        result = this.flipBytes(this.content, 0, this.content.length);
        break;
      case 'bom':
        result = this.rng.chance(0.85)
          ? { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), this.content]), detail: 'UTF-8 BOM' }
          : { bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), this.content]), detail: 'UTF-16LE BOM' };
        break;
      case 'wrong-recipient':
        result = replaceOne(
          text,
          /"idDestinataire":"[^"]*"/g,
          () => `"idDestinataire":"${BETA_SIREN}"`,
          this.rng,
        );
        if (result) result.mustReject = 'the header names another recipient';
        break;
      case 'json-duplicate':
        result = this.duplicateMember(text);
        break;
      case 'proto-key':
        result = this.protoKey(text);
        break;
      case 'huge-number':
        result = json ? this.hugeJsonNumber(text) : this.csvField(text, /^valeur$/i, 'huge-number');
        break;
      case 'bad-date':
        result = json ? this.badJsonDate(text) : this.csvField(text, /^horodate$/i, 'bad-date');
        break;
      case 'deep-nesting':
        result = this.deepNesting(text);
        break;
      case 'long-string':
        result = json ? this.longJsonString(text) : this.csvField(text, undefined, 'long-string');
        break;
      case 'csv-separators':
        result = this.csvSeparators(text);
        break;
      case 'field-removed':
        result = json ? this.removeJsonMember(text) : this.removeCsvColumn(text);
        break;
      default:
        throw new Error(`${kind} is not a content mutation`);
    }
    if (!result) return { detail: 'no target left' };
    this.content = result.bytes ?? Buffer.from(result.text!, 'utf8');
    this.contentChanged = true;
    return { detail: result.detail, mustReject: result.mustReject };
  }

  private flipBytes(bytes: Buffer, from: number, to: number): { bytes: Buffer; detail: string } {
    const out = Buffer.from(bytes);
    if (to <= from) return { bytes: out, detail: 'nothing to flip' };
    const count = this.rng.int(1, 4);
    const flips: string[] = [];
    for (let i = 0; i < count; i++) {
      const at = this.rng.int(from, to - 1);
      const mask = this.rng.int(1, 255);
      out[at] = out[at]! ^ mask;
      flips.push(`${at}^0x${mask.toString(16)}`);
    }
    return { bytes: out, detail: flips.join(' ') };
  }

  private duplicateMember(text: string) {
    const pattern =
      /"(idPrm|codeFlux|idDestinataire|grandeurPhysique|etapeMetier|unite|d|v|n|p|codeCadran|idClasseTemporelle)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null)/g;
    const matches = [...text.matchAll(pattern)];
    if (matches.length === 0) return undefined;
    const match = this.rng.pick(matches);
    const key = match[1]!;
    const value = match[2]!;
    const other = this.otherValue(key, value);
    const end = match.index + match[0].length;
    return {
      text: `${text.slice(0, end)},"${key}":${other}${text.slice(end)}`,
      detail: `second "${key}": ${other} after ${value} at ${match.index}`,
      mustReject: `duplicate member "${key}"`,
    };
  }

  /** A value of the member different from `value`, of the same kind. */
  private otherValue(key: string, value: string): string {
    const raw = value.startsWith('"') ? value.slice(1, -1) : value;
    const quote = (s: string) => JSON.stringify(s);
    switch (key) {
      case 'idPrm':
        return quote(this.rng.pick(this.corpus.prms.filter((p) => p !== raw).concat('99999999999999')));
      case 'codeFlux':
        return quote(raw.endsWith('A') ? raw.replace(/A$/, 'B') : raw.replace(/B$/, 'A'));
      case 'idDestinataire':
        return quote(raw === BETA_SIREN ? '356000000' : BETA_SIREN);
      case 'grandeurPhysique':
        return quote(raw === 'PA' ? 'PRI' : 'PA');
      case 'etapeMetier':
        return quote(raw === 'BRUT' ? 'BEST' : 'BRUT');
      case 'unite':
        return quote(raw === 'W' ? 'VAr' : 'W');
      case 'd':
        return quote(
          raw.endsWith('12:00:00') ? raw.replace(/ .*$/, ' 13:00:00') : raw.replace(/ .*$/, ' 12:00:00'),
        );
      case 'v': {
        const n = Number(raw) + 1;
        return value.startsWith('"')
          ? quote(String(Number.isFinite(n) ? n : 1))
          : String(Number.isFinite(n) ? n : 1);
      }
      case 'n':
        return quote(raw === 'R' ? 'H' : 'R');
      case 'p':
        return quote(raw === 'PT5M' ? 'PT30M' : 'PT5M');
      case 'codeCadran':
        return quote(raw.endsWith('1') ? raw.replace(/1$/, '2') : raw.replace(/.$/, '1'));
      default:
        return quote(raw === 'HP' ? 'HC' : 'HP');
    }
  }

  private protoKey(text: string) {
    const starts = [...text.matchAll(/\{"/g)].map((m) => m.index);
    if (starts.length === 0) return undefined;
    const at = this.rng.pick(starts) + 1;
    const other = this.rng.pick(this.corpus.prms);
    const member = this.rng.pick([
      '"__proto__":{"polluted":"fuzz"}',
      `"__proto__":{"idPrm":"${other}","etapeMetier":"BEST","polluted":"fuzz"}`,
      '"constructor":{"prototype":{"polluted":"fuzz"}}',
      '"__proto__":{"__proto__":{"polluted":"fuzz"}}',
    ]);
    return { text: `${text.slice(0, at)}${member},${text.slice(at)}`, detail: `${member} at ${at}` };
  }

  private hugeJsonNumber(text: string) {
    const matches = [...text.matchAll(/"v":("[^"]*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null)/g)];
    if (matches.length === 0) return undefined;
    const match = this.rng.pick(matches);
    const huge = this.rng.pick(HUGE_NUMBERS);
    const literal = huge === '1234567890123456' || this.rng.chance(0.5) ? `"${huge}"` : huge;
    const start = match.index + 4;
    return {
      text: `${text.slice(0, start)}${literal}${text.slice(match.index + match[0].length)}`,
      detail: `v ${match[1]} → ${literal} at ${match.index}`,
      mustReject: this.hugeMustReject(huge),
    };
  }

  private hugeMustReject(huge: string): string | undefined {
    if (this.entry.file.flux === 'R63') return `curve value ${huge} beyond a 32-bit integer`;
    return PLAUSIBLE_INDEX.has(huge) ? undefined : `index value ${huge} beyond a meter's range`;
  }

  private badJsonDate(text: string) {
    if (this.rng.chance(0.2)) {
      const period = replaceOne(
        text,
        /"(dateDebut|dateFin|horodateDebutPublication)":"[^"]*"/g,
        (m) => `"${m[1]}":"${this.badDate(m[0])}"`,
        this.rng,
      );
      if (period) return { ...period, detail: `period ${period.detail}` };
    }
    const result = replaceOne(text, /"d":"([^"]*)"/g, (m) => `"d":"${this.badDate(m[1]!)}"`, this.rng);
    if (result) result.mustReject = 'impossible or out-of-range timestamp';
    return result;
  }

  private badDate(current: string): string {
    const date = this.rng.pick(BAD_DATES);
    return date === '24:00:00' ? `${/\d{4}-\d\d-\d\d/.exec(current)?.[0] ?? '2026-03-10'} 24:00:00` : date;
  }

  private deepNesting(text: string) {
    const balanced = this.rng.chance(0.5);
    const value = '['.repeat(DEEP_NESTING) + (balanced ? ']'.repeat(DEEP_NESTING) : '');
    const detail = `${DEEP_NESTING} "[" ${balanced ? 'closed' : 'unclosed'}`;
    if (this.rng.chance(0.5)) {
      const result = replaceOne(text, /"v":("[^"]*"|-?[\d.eE+]+|null)/g, () => `"v":${value}`, this.rng);
      if (result)
        return { ...result, detail: `v → ${detail}`, mustReject: 'nesting deeper than any R6X file' };
    }
    const starts = [...text.matchAll(/\{"/g)].map((m) => m.index);
    if (starts.length === 0) return undefined;
    const at = this.rng.pick(starts) + 1;
    return {
      text: `${text.slice(0, at)}"profondeur":${value},${text.slice(at)}`,
      detail: `member "profondeur" at ${at}: ${detail}`,
      mustReject: 'nesting deeper than any R6X file',
    };
  }

  private longJsonString(text: string) {
    const long = 'A'.repeat(LONG_STRING_BYTES);
    const mustReject = `a string of ${LONG_STRING_BYTES} characters`;
    if (this.rng.chance(0.5)) {
      const result = replaceOne(
        text,
        /"(idPrm|d|n|p|codeFlux|grandeurPhysique|idDestinataire)":"[^"]*"/g,
        (m) => `"${m[1]}":"${long}"`,
        this.rng,
      );
      if (result) return { ...result, detail: `${result.detail} (${LONG_STRING_BYTES} chars)`, mustReject };
    }
    const starts = [...text.matchAll(/\{"/g)].map((m) => m.index);
    if (starts.length === 0) return undefined;
    const at = this.rng.pick(starts) + 1;
    return {
      text: `${text.slice(0, at)}"commentaire":"${long}",${text.slice(at)}`,
      detail: `member "commentaire" of ${LONG_STRING_BYTES} chars at ${at}`,
      mustReject,
    };
  }

  /** Replaces one field of a data line: the column `label`, or any column when undefined. */
  private csvField(
    text: string,
    label: RegExp | undefined,
    kind: 'huge-number' | 'bad-date' | 'long-string',
  ) {
    const lines = text.split('\n');
    const header = lines[0]!.replace(/^\uFEFF/, '').split(';');
    const data = dataLines(lines);
    if (data.length === 0) return undefined;
    const index = this.rng.pick(data);
    const fields = lines[index]!.split(';');
    let column = label ? header.findIndex((h) => label.test(h.trim())) : this.rng.int(0, fields.length - 1);
    let mustReject: string | undefined;
    if (kind === 'bad-date' && this.rng.chance(0.2)) {
      const period = header.findIndex((h) => /^date de (début|fin)$/i.test(h.trim()));
      if (period >= 0) column = period;
    } else if (kind === 'bad-date') mustReject = 'impossible or out-of-range timestamp';
    if (column < 0 || column >= fields.length) return undefined;
    const before = fields[column]!;
    let value: string;
    if (kind === 'huge-number') {
      value = this.rng.pick(HUGE_NUMBERS);
      mustReject = this.hugeMustReject(value);
    } else if (kind === 'bad-date') value = this.badDate(before);
    else {
      value = 'A'.repeat(LONG_STRING_BYTES);
      mustReject = 'a line longer than 64 KiB';
    }
    fields[column] = value;
    lines[index] = fields.join(';');
    return {
      text: lines.join('\n'),
      detail: `line ${index + 1} field ${column + 1}: ${before} → ${value.length > 40 ? `${value.length} chars` : value}`,
      mustReject,
    };
  }

  private csvSeparators(text: string) {
    const lines = text.split('\n');
    const data = dataLines(lines);
    if (data.length === 0) return undefined;
    const index = this.rng.pick(data);
    const line = lines[index]!;
    const separators = [...line.matchAll(/;/g)].map((m) => m.index);
    let detail: string;
    if (this.rng.chance(0.5) || separators.length === 0) {
      const at = this.rng.chance(0.5) ? line.length : this.rng.int(0, line.length);
      lines[index] = `${line.slice(0, at)};${line.slice(at)}`;
      detail = `line ${index + 1}: extra ";" at ${at}`;
    } else {
      const at = this.rng.pick(separators);
      lines[index] = line.slice(0, at) + line.slice(at + 1);
      detail = `line ${index + 1}: ";" at ${at} removed`;
    }
    return { text: lines.join('\n'), detail, mustReject: 'a line with a wrong number of fields' };
  }

  private removeJsonMember(text: string) {
    const matches = [
      ...text.matchAll(
        /"([A-Za-z_]+)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null|true|false)/g,
      ),
    ];
    if (matches.length === 0) return undefined;
    // Rare members weigh as much as the thousands of point members.
    const keys = [...new Set(matches.map((m) => m[1]!))];
    const key = this.rng.pick(keys);
    const match = this.rng.pick(matches.filter((m) => m[1] === key));
    let start = match.index;
    let end = start + match[0].length;
    if (text[end] === ',') end++;
    else if (text[start - 1] === ',') start--;
    return { text: text.slice(0, start) + text.slice(end), detail: `"${key}" at ${match.index}` };
  }

  private removeCsvColumn(text: string) {
    const lines = text.split('\n');
    const width = lines[0]!.split(';').length;
    const column = this.rng.int(0, width - 1);
    const name = lines[0]!.split(';')[column];
    const out = lines.map((line) => {
      if (line.length === 0) return line;
      const fields = line.split(';');
      fields.splice(column, 1);
      return fields.join(';');
    });
    return { text: out.join('\n'), detail: `column ${column + 1} (${name})` };
  }

  // ——— packaging ———

  private applyPackaging(kind: MutationKind): { detail: string; mustReject?: string } {
    const name = this.entry.file.innerName;
    const content = this.content;
    if (kind === 'nested-zip') {
      const inner =
        this.contentChanged || this.entry.container === 'plain'
          ? buildZip([{ name, content }])
          : this.entry.file.zip;
      this.zip = buildZip([{ name: name.replace(/\.\w+$/, '.zip'), content: inner }]);
      return {
        detail: `${name} in ${name.replace(/\.\w+$/, '.zip')}`,
        mustReject: 'an archive inside the archive',
      };
    }
    if (kind === 'two-files') {
      if (this.rng.chance(0.25)) {
        this.zip = buildZip([
          { name, content },
          { name, content },
        ]);
        return { detail: `${name} twice under one name` };
      }
      const other = this.rng.pick(this.corpus.files.filter((f) => f !== this.entry.file));
      const entries = [
        { name, content },
        { name: other.innerName, content: other.inner },
      ];
      if (this.rng.chance(0.5)) entries.reverse();
      this.zip = buildZip(entries);
      return { detail: entries.map((e) => e.name).join(' + ') };
    }
    // zip-bomb: the file padded with spaces (JSON, after its first "{") or empty lines (CSV).
    const deflated = bombOf(content, this.entry.file.format === 'JSON');
    this.zip = buildZip([{ name, content: Buffer.alloc(0), deflated }]);
    const ratio = Math.round(deflated.size / deflated.data.length);
    return {
      detail: `${deflated.size} bytes in ${deflated.data.length} (${ratio}×)`,
      mustReject: `expands ${ratio}× (limit ${DEFAULT_IMPORT_LIMITS.maxCompressionRatio}×)`,
    };
  }

  // ——— archive ———

  private applyToArchive(kind: MutationKind): { detail: string; mustReject?: string } {
    const zip = Buffer.from(this.zip!);
    if (kind === 'truncate') {
      const at = this.rng.int(0, zip.length - 1);
      this.zip = zip.subarray(0, at);
      return { detail: `archive cut at byte ${at} of ${zip.length}`, mustReject: 'a truncated archive' };
    }
    if (kind === 'flip') {
      const flipped = this.flipBytes(zip, 0, zip.length);
      this.zip = flipped.bytes;
      return { detail: `archive bytes ${flipped.detail}` };
    }
    let layout;
    try {
      layout = zipLayout(zip);
    } catch (error) {
      return { detail: `no target: ${(error as Error).message}` };
    }
    const entry = this.rng.pick(layout);
    if (kind === 'deflate-flip') {
      const flipped = this.flipBytes(zip, entry.dataStart, entry.dataStart + entry.compressedSize);
      this.zip = flipped.bytes;
      return { detail: `deflate data of ${entry.name}: ${flipped.detail}` };
    }
    // zip-lie
    const lies: Array<[string, number, 2 | 4, number]> = [
      [
        'central CRC',
        entry.central + ZIP_FIELDS.centralCrc,
        4,
        (entry.crc ^ this.rng.int(1, 0x7fffffff)) >>> 0,
      ],
      ['local CRC', entry.local + ZIP_FIELDS.localCrc, 4, this.rng.int(1, 0x7fffffff)],
      [
        'central compressed size',
        entry.central + ZIP_FIELDS.centralCompressedSize,
        4,
        this.lieAbout(entry.compressedSize),
      ],
      [
        'central uncompressed size',
        entry.central + ZIP_FIELDS.centralUncompressedSize,
        4,
        this.lieAbout(entry.uncompressedSize),
      ],
      [
        'local compressed size',
        entry.local + ZIP_FIELDS.localCompressedSize,
        4,
        this.lieAbout(entry.compressedSize),
      ],
      [
        'local uncompressed size',
        entry.local + ZIP_FIELDS.localUncompressedSize,
        4,
        this.lieAbout(entry.uncompressedSize),
      ],
      [
        'local name length',
        entry.local + ZIP_FIELDS.localNameLength,
        2,
        this.lieAboutLength(zip.readUInt16LE(entry.local + 26)),
      ],
      [
        'central name length',
        entry.central + ZIP_FIELDS.centralNameLength,
        2,
        this.lieAboutLength(zip.readUInt16LE(entry.central + 28)),
      ],
    ];
    if (entry.descriptor !== undefined)
      lies.push([
        'descriptor CRC',
        entry.descriptor + ZIP_FIELDS.descriptorCrc,
        4,
        (entry.crc ^ this.rng.int(1, 0x7fffffff)) >>> 0,
      ]);
    const [field, offset, width, value] = this.rng.pick(lies);
    const before = width === 4 ? zip.readUInt32LE(offset) : zip.readUInt16LE(offset);
    if (width === 4) zip.writeUInt32LE(value >>> 0, offset);
    else zip.writeUInt16LE(value, offset);
    this.zip = zip;
    return { detail: `${entry.name}: ${field} ${before} → ${value >>> 0}` };
  }

  private lieAbout(size: number): number {
    const lie = this.rng.pick([
      size + 1,
      Math.max(0, size - 1),
      Math.floor(size / 2),
      size * 1000,
      0,
      0xfffffffe,
      size + 4096,
    ]);
    return (lie === size ? size + 1 : lie) % 0x100000000;
  }

  private lieAboutLength(length: number): number {
    const lie = this.rng.pick([length + 1, length - 1, length + this.rng.int(2, 64), 0, 0xffff]);
    return Math.max(0, Math.min(0xffff, lie === length ? length + 1 : lie));
  }

  // ——— encrypted ———

  private applyToEncrypted(kind: MutationKind): { detail: string; mustReject?: string } {
    const bytes = this.bytes!;
    if (kind === 'truncate') {
      const at = this.rng.int(0, bytes.length - 1);
      this.bytes = bytes.subarray(0, at);
      return {
        detail: `encrypted file cut at byte ${at} of ${bytes.length}`,
        mustReject: 'a truncated encrypted file',
      };
    }
    if (kind === 'flip') {
      const flipped = this.flipBytes(bytes, 0, bytes.length);
      this.bytes = flipped.bytes;
      return { detail: `encrypted bytes ${flipped.detail}` };
    }
    // wrong-key
    if (this.entry.container !== 'encrypted') {
      this.key = derive(`stray|${this.seed}|${this.number}`);
      return {
        detail: 'a key given for a file that is not encrypted',
        mustReject: 'the key does not open the file',
      };
    }
    if (this.rng.chance(0.3)) {
      this.key = undefined;
      return { detail: 'no key for an encrypted file', mustReject: 'an encrypted file read without its key' };
    }
    const wrong = Buffer.from(this.key!);
    if (this.rng.chance(0.5)) {
      const at = this.rng.int(0, 31);
      wrong[at] = wrong[at]! ^ (1 << this.rng.int(0, 7));
    } else derive(`wrong|${this.seed}|${this.number}`).copy(wrong);
    this.key = wrong;
    return { detail: 'another key', mustReject: 'the key does not open the file' };
  }

  // ——— verdict ———

  /** Why the case must be refused: a mutation that says so, or what the reference reader finds. */
  private verdict(): string | undefined {
    const destructive = this.applied.some((m) => DESTRUCTIVE.has(`${m.kind}@${m.layer}`));
    for (const m of this.applied) {
      if (m.mustReject && !(m.layer === 'content' && destructive)) return m.mustReject;
    }
    return this.referenceVerdict();
  }

  private referenceVerdict(): string | undefined {
    let plain = this.bytes!;
    if (this.key) {
      try {
        if (plain.length < 16) return 'no IV';
        const decipher = createDecipheriv('aes-256-cbc', this.key, plain.subarray(0, 16));
        plain = Buffer.concat([decipher.update(plain.subarray(16)), decipher.final()]);
      } catch {
        return 'the file does not decrypt with the key';
      }
      if (!plain.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])))
        return 'the decrypted file is not a zip archive';
    }
    if (!plain.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return undefined;
    let entries;
    try {
      entries = referenceRead(plain);
    } catch {
      return undefined; // a structure no reader can walk: refusing it is expected, not required here
    }
    for (const entry of entries) {
      if (entry.damage) return `zip entry ${entry.name}: ${entry.damage}`;
      if (entry.ratio > DEFAULT_IMPORT_LIMITS.maxCompressionRatio)
        return `zip entry ${entry.name} expands ${Math.round(entry.ratio)}×`;
      if (entry.content?.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])))
        return `zip entry ${entry.name} is itself an archive`;
    }
    return undefined;
  }
}

/** Indexes of the non-empty lines after the header. */
function dataLines(lines: string[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < lines.length; i++) if (lines[i]!.length > 0) out.push(i);
  return out;
}

/** Replaces one random match of `pattern` (global) in `text`. */
function replaceOne(
  text: string,
  pattern: RegExp,
  replacement: (match: RegExpMatchArray) => string,
  rng: FuzzRandom,
): { text: string; detail: string; mustReject?: string } | undefined {
  const matches = [...text.matchAll(pattern)];
  if (matches.length === 0) return undefined;
  const match = rng.pick(matches);
  const replaced = replacement(match);
  return {
    text: text.slice(0, match.index) + replaced + text.slice(match.index + match[0].length),
    detail: `${match[0]} → ${replaced.length > 80 ? `${replaced.slice(0, 40)}…` : replaced} at ${match.index}`,
  };
}
