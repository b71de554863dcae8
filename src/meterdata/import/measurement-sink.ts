import type { Db } from '../../db/database.js';
import { EntrepriseRepository } from '../../db/entreprise.repository.js';
import {
  MeasurementRepository,
  QUANTITIES,
  type CurveDay,
  type IndexReading,
  type Quantity,
  type StoredIndexReading,
} from '../../db/measurement.repository.js';
import { PrmRepository, type EntrepriseAttachment, type PrmRecord } from '../../db/prm.repository.js';
import { AppError } from '../../domain/app-error.js';
import { DISTRIBUTOR_CALENDARS, type DistributorCalendar } from '../../domain/calendars.js';
import type { Category } from '../../domain/identifiers.js';
import { stepMinutes } from '../../domain/identifiers.js';
import {
  addDays,
  dayOfPointTimestamp,
  dayPositionIndex,
  dayTimestamps,
  isLocalDay,
  localTimestampInstant,
  pointInstants,
} from '../../domain/paris-calendar.js';
import {
  ALLOWED_NATURES,
  COMPLETIONS_FOR,
  EC_CODES,
  isPresent,
  packQualityParts,
  type CompletionType,
  type Nature,
  type Stage,
} from '../../domain/point-quality.js';
import { dayTimeClasses, TOTALIZER } from '../../domain/time-classes.js';
import { correctedPrmDays, recomputeBest } from '../best-recompute.js';
import { MEASUREMENT_RANGES } from './import-limits.js';

/** Where a value sits in the file: `line 17 (Valeur)` or `$.mesures[3].grandeur[0].points[17].v`. */
export type Location = (field: string) => string;

type Scalar = string | number | boolean | null | undefined;

/** One curve point as read from R63 (CSV columns or JSON fields), not yet validated. */
export interface CurvePointInput {
  prm: Scalar;
  grandeurMetier: Scalar;
  quantity: Scalar;
  stage: Scalar;
  unit: Scalar;
  timestamp: Scalar;
  value: Scalar;
  nature: Scalar;
  step: Scalar;
  tc: Scalar;
  iv: Scalar;
  ec: Scalar;
}

/** One index reading as read from R64, not yet validated. */
export interface IndexReadingInput {
  prm: Scalar;
  stage: Scalar;
  grandeurMetier: Scalar;
  grandeurPhysique: Scalar;
  unit: Scalar;
  timestamp: Scalar;
  /** `D` distributor, `F` supplier, `T` totalizer (JSON: from libelleGrille / cadranTotalisateur). */
  grid: Scalar;
  calendarId: Scalar;
  timeClass: Scalar;
  value: Scalar;
  iv: Scalar;
}

export interface ImportSummary {
  file: string;
  curvePoints: number;
  indexReadings: number;
  curveDaysChanged: number;
  indexReadingsChanged: number;
  bestDaysChanged: number;
  /** Quality warnings (index/curve mismatch, ignored supplier-grid readings); never a refusal. */
  warnings: string[];
}

/** Errors reported before a file is rejected (the first ones are enough to fix it). */
export const MAX_REPORTED_ERRORS = 20;
const MAX_WARNINGS = 50;
const INDEX_BATCH = 2000;
/**
 * Points held in open PRM-day vectors before they are written, counted when a PRM ends: whole PRMs
 * are written together, a few hundred PRM-days per round of queries, in bounded memory.
 */
const FLUSH_POINTS = 100_000;
/** PRMs of the registry loaded ahead of the one a file names. */
const PRM_LOAD_AHEAD = 1000;

const UNITS: Readonly<Record<Quantity, string>> = { PA: 'W', PRI: 'VAr', PRC: 'VAr' };
const QUANTITIES_FOR: Readonly<Record<Category, readonly string[]>> = { A: ['PA', 'PRI', 'PRC'], B: ['PA'] };
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const {
  firstDay: FIRST_DAY,
  endDay: END_DAY,
  minCurveValue: MIN_CURVE,
  maxCurveValue: MAX_CURVE,
} = MEASUREMENT_RANGES;
const MAX_INDEX = MEASUREMENT_RANGES.maxIndexWh;
const LAST_DAY = addDays(END_DAY, -1);
const OUTSIDE_RANGE = `is outside the measurement range ${FIRST_DAY} to ${LAST_DAY}`;

interface KnownPrm {
  record: PrmRecord;
  minutes: number;
  collection: Array<{ startDate: string; endDate: string | null }>;
  /** Its attachments, loaded only when the file's recipient is checked. */
  attachments: readonly EntrepriseAttachment[];
}

/** The collection window of the element being read (JSON `periode`), by its end. */
interface CollectionWindow {
  /** `dateFin` as written, its instant, and its local day. */
  end: string;
  endMs: number;
  endDay: string;
}

interface Accumulator {
  prm: string;
  day: string;
  quantity: Quantity;
  stage: Stage;
  minutes: number;
  values: Int32Array;
  qualities: Uint16Array;
  /** Points this file set, over all its blocks (duplicate detection). */
  set: Uint8Array;
  /** Points set since this accumulator was opened (merged over what is stored). */
  fresh: Uint8Array;
  /** Timestamp of each position of the day, and whether that time of day occurs only once. */
  labels: readonly string[];
  unique: Uint8Array;
  /** The slot after the last point placed, and its timestamp when it can be taken directly. */
  nextSlot: number;
  nextLabel: string | undefined;
  /** Slots starting before the end of the current collection window (set when the vector is taken up). */
  limit: number;
}

/** What the shared fields of a run of points mean, once checked (see `MeasurementSink.series`). */
interface Series {
  known: KnownPrm;
  grandeurMetier: Scalar;
  quantityText: Scalar;
  stageText: Scalar;
  unit: Scalar;
  step: Scalar;
  nature: Scalar;
  tc: Scalar;
  iv: Scalar;
  ec: Scalar;
  quantity: Quantity;
  stage: Stage;
  quality: number;
}

const uniqueCache = new WeakMap<readonly string[], Uint8Array>();

/** 1 where a timestamp occurs once in the day's labels (0 on the repeated autumn hour). */
function uniqueLabels(labels: readonly string[]): Uint8Array {
  let unique = uniqueCache.get(labels);
  if (!unique) {
    const seen = new Map<string, number>();
    for (const l of labels) seen.set(l, (seen.get(l) ?? 0) + 1);
    unique = Uint8Array.from(labels, (l) => (seen.get(l) === 1 ? 1 : 0));
    uniqueCache.set(labels, unique);
  }
  return unique;
}

/** A flat copy of a string, so a kept key does not pin the text chunk it was sliced from. */
function detach(value: string): string {
  return JSON.parse(JSON.stringify(value)) as string;
}

function text(value: Scalar): string | undefined {
  if (value === null || value === undefined) return undefined;
  const s = typeof value === 'string' ? value : String(value);
  return s === '' || s === 'null' ? undefined : s;
}

/**
 * An integer value: a number, or digits with an optional `-`. Digits beyond what a double holds exactly
 * (16 or more, leading zeros aside) give ±Infinity, so that range checks refuse them as out of range
 * instead of reading them wrong.
 */
function integer(value: Scalar): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) || Math.abs(value) === Infinity ? value : undefined;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (value.length > 15) return longInteger(value);
  // Hand-rolled: this runs once per point of every file.
  let i = value.charCodeAt(0) === 45 ? 1 : 0;
  if (i === value.length) return undefined;
  let n = 0;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return value.charCodeAt(0) === 45 ? -n : n;
}

function longInteger(value: string): number | undefined {
  const match = /^(-?)0*(\d+)$/.exec(value);
  if (!match) return undefined;
  const digits = match[2]!;
  const n = digits.length > 15 ? Infinity : Number(digits);
  return match[1] ? -n : n;
}

/**
 * Validates measurements read from one file, gathers them into PRM-day vectors and writes them
 * (merged with what is stored) through the transaction it is given. The caller rolls the
 * transaction back when `finish` throws: a file with any error changes nothing.
 */
export class MeasurementSink {
  private readonly store: MeasurementRepository;
  private readonly prmRepo: PrmRepository;
  private readonly prms = new Map<string, KnownPrm | null>();
  /** PRMs whose category contradicts the file's, already reported. */
  private readonly contradicted = new Set<string>();
  private readonly errors: string[] = [];
  private readonly warnings: string[] = [];
  private warningCount = 0;
  private readonly open = new Map<string, Accumulator>();
  /** Points (slots) of the open vectors. */
  private openSlots = 0;
  /** The round of writes in progress, and the error of a round that failed. */
  private writing: Promise<void> | undefined;
  private writeError: unknown;
  private openPrm: string | undefined;
  private last: Accumulator | undefined;
  private memo: Series | undefined;
  /** Bitmaps of PRM-days already written by this file (a PRM block may come back later). */
  private readonly flushed = new Map<string, Uint8Array>();
  private readonly indexKeys = new Set<string>();
  private indexBuffer: IndexReading[] = [];
  /** Raw PA days changed, by PRM, for PRMs written more than once (their BEST is redone at the end). */
  private readonly rawPaDays = new Map<string, string[]>();
  /** How many writes included each PRM. */
  private readonly writesOf = new Map<string, number>();
  /** Corrected days created or changed (`prm|day`). */
  private readonly bestChanged = new Set<string>();
  private readonly touched = new Map<string, Set<string>>();
  private supplierReadings = 0;
  /** Position index of the day last seen (points come day by day). */
  private grid: ReadonlyMap<string, readonly number[]> | undefined;
  private gridDay: string | undefined;
  private gridCategory: Category | undefined;
  private gridMinutes = 0;
  /** Slots of the grid's day that start before the end of the collection window. */
  private gridLimit = 0;
  /** Date part of the last point timestamp found to be a real day. */
  private checkedDate: string | undefined;
  /** Collection window of the element being read (JSON files). */
  private window: CollectionWindow | undefined;
  /** The SIREN a JSON header addresses the file to, and its entreprise (unless a bulk feed). */
  private recipient: { siren: string; entrepriseId: number } | undefined;
  /** PRMs already reported as not the recipient's. */
  private readonly foreign = new Set<string>();
  /** Instants of the window timestamps met so far (undefined: not a local timestamp). */
  private readonly windowInstants = new Map<string, number | undefined>();
  private summary = { curvePoints: 0, indexReadings: 0, curveDaysChanged: 0, indexReadingsChanged: 0 };

  /** Category the file announces (codeFlux R63A/R64B …), checked against each PRM. */
  public expectedCategory: Category | undefined;
  /** Validate only, write nothing (the bench measures parsing alone with it). */
  private readonly dryRun: boolean;
  /** A distributor's bulk feed: the recipient a header names is not checked against PRM owners. */
  private readonly bulkFeed: boolean;

  constructor(
    private readonly db: Db,
    private readonly file: string,
    private readonly now: Date,
    options: { dryRun?: boolean | undefined; bulkFeed?: boolean | undefined } = {},
  ) {
    this.dryRun = options.dryRun ?? false;
    this.bulkFeed = options.bulkFeed ?? false;
    this.store = new MeasurementRepository(db);
    this.prmRepo = new PrmRepository(db);
  }

  /**
   * The recipient a JSON header names (`idDestinataire`, a SIREN). Unless the file is a bulk feed, each
   * PRM of the file must then be attached, on each day of its measurements, to a SIREN of that SIREN's
   * entreprise. Called before the first measurement (the reader refuses a header after `mesures`).
   */
  async addressedTo(value: Scalar, where: string): Promise<void> {
    if (this.bulkFeed) return;
    if (value === undefined || value === null) {
      return this.error(
        where,
        "required: the SIREN the file is addressed to (a distributor's bulk feed is imported as such)",
      );
    }
    const siren =
      typeof value === 'string' ? await new EntrepriseRepository(this.db).findSiren(value) : undefined;
    if (!siren) return this.error(where, `"${String(value)}" is not a SIREN of the registry`);
    this.recipient = siren;
  }

  /**
   * Starts an element of a JSON file and its collection window `periode` (undefined when the element has
   * none: the reader reported it). dateDebut and dateFin are local timestamps of the measurement range,
   * dateDebut first. A measurement from dateFin on is refused: it cannot have been collected in the
   * window. One before dateDebut is late data or a correction, and kept.
   */
  collectionWindow(periode: { dateDebut: Scalar; dateFin: Scalar } | undefined, where: Location): void {
    this.window = undefined;
    // The next point goes through the checks that apply the window to its day.
    this.last = undefined;
    this.gridDay = undefined;
    if (!periode) return;
    const start = this.headerTimestamp(periode.dateDebut, where('dateDebut'));
    const end = this.headerTimestamp(periode.dateFin, where('dateFin'));
    if (start === undefined || end === undefined) return;
    const endText = text(periode.dateFin)!;
    if (end <= start) {
      return this.error(
        where('dateFin'),
        `dateFin ${endText} is not after dateDebut ${text(periode.dateDebut) ?? ''}`,
      );
    }
    this.window = { end: detach(endText), endMs: end, endDay: detach(endText.slice(0, 10)) };
  }

  /**
   * Checks a timestamp of the file's header or of a collection window: a local timestamp whose day is in
   * the measurement range. Returns its instant, or undefined after reporting.
   */
  headerTimestamp(value: Scalar, where: string): number | undefined {
    const timestamp = text(value) ?? '';
    let instant = this.windowInstants.get(timestamp);
    if (instant === undefined && !this.windowInstants.has(timestamp)) {
      // A CSV file may give each PRM-day a window of its own: the calendar is asked once per text.
      if (this.windowInstants.size >= 10_000) this.windowInstants.clear();
      instant = localTimestampInstant(timestamp);
      this.windowInstants.set(detach(timestamp), instant);
    }
    if (instant === undefined) {
      this.error(where, `"${timestamp}" is not a local timestamp AAAA-MM-JJ hh:mm:ss`);
      return undefined;
    }
    const day = timestamp.slice(0, 10);
    if (day < FIRST_DAY || day >= END_DAY) {
      this.error(where, `day ${day} ${OUTSIDE_RANGE}`);
      return undefined;
    }
    return instant;
  }

  /**
   * Slots of a day (at `minutes`) whose interval starts before the end of the collection window: all
   * of them before the window's last day, none after it.
   */
  private windowLimit(day: string, minutes: number): number {
    const window = this.window;
    if (window === undefined || day < window.endDay) return Number.MAX_SAFE_INTEGER;
    if (day > window.endDay) return 0;
    const starts = pointInstants(day, minutes);
    let n = 0;
    while (n < starts.length && starts[n]! < window.endMs) n++;
    return n;
  }

  /**
   * Whether a PRM-day may be in the file: yes unless the file's recipient is checked and the PRM is not
   * attached to its entreprise on that day (reported once per PRM).
   */
  private forRecipient(known: KnownPrm, day: string, where: Location): boolean {
    const recipient = this.recipient;
    if (recipient === undefined) return true;
    for (const a of known.attachments) {
      if (
        a.entrepriseId === recipient.entrepriseId &&
        a.startDate <= day &&
        (a.endDate === null || day < a.endDate)
      )
        return true;
    }
    const prm = known.record.prm;
    if (!this.foreign.has(prm)) {
      this.foreign.add(prm);
      this.error(
        where('idPrm'),
        `PRM ${prm} is not attached to the entreprise of SIREN ${recipient.siren} on ${day} (the file's recipient); import it as a bulk feed if it is one`,
      );
    }
    return false;
  }

  /** Records a rule violation; throws the rejection once enough are gathered. */
  error(where: string, rule: string): void {
    this.errors.push(`${this.file}: ${where}: ${rule}`);
    if (this.errors.length >= MAX_REPORTED_ERRORS) this.reject();
  }

  /** Records a violation that stops reading (malformed syntax) and throws the rejection. */
  rejectNow(where: string, rule: string): never {
    this.errors.push(`${this.file}: ${where}: ${rule}`);
    this.reject();
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  private reject(): never {
    const more =
      this.errors.length >= MAX_REPORTED_ERRORS ? `\n(stopped after ${MAX_REPORTED_ERRORS} errors)` : '';
    throw new AppError(
      'IMPORT_REJECTED',
      `${this.file} rejected, nothing imported:\n${this.errors.join('\n')}${more}`,
      { file: this.file, count: this.errors.length, messages: this.errors.join('\n') },
    );
  }

  /**
   * Loads and caches a PRM (null when malformed or unknown).
   * Files list PRMs in order: the next PRMs of the registry are loaded with it, so a file of many PRMs
   * costs a query per thousand of them, not one per PRM (each would wait behind the writes in flight).
   */
  private async load(id: string): Promise<KnownPrm | null> {
    let known = this.prms.get(id);
    if (known === undefined) {
      if (/^\d{14}$/.test(id)) {
        const records = await this.prmRepo.findFrom(id, PRM_LOAD_AHEAD);
        const periods = await this.prmRepo.collectionPeriodsByPrm(
          records.filter((r) => r.category === 'B').map((r) => r.prm),
        );
        // The batch is a range of PRMs in order: their attachments come in one query.
        const attachments =
          this.recipient !== undefined && records.length > 0
            ? await this.prmRepo.attachmentsBetween(records[0]!.prm, records[records.length - 1]!.prm)
            : undefined;
        for (const record of records) {
          if (this.prms.has(record.prm)) continue;
          this.prms.set(record.prm, {
            record,
            minutes: stepMinutes(record.step),
            collection: periods.get(record.prm) ?? [],
            attachments: attachments?.get(record.prm) ?? [],
          });
        }
      }
      known = this.prms.get(id);
      if (known === undefined) {
        known = null;
        this.prms.set(detach(id), null);
      }
    }
    return known;
  }

  /** Reports, once per PRM, a PRM whose category is not the one the file announces. */
  private checkCategory(known: KnownPrm, where: Location): void {
    const { record } = known;
    if (!this.expectedCategory || record.category === this.expectedCategory) return;
    if (this.contradicted.has(record.prm)) return;
    this.contradicted.add(record.prm);
    this.error(
      where('idPrm'),
      `PRM ${record.prm} is category ${record.category}, the file is for category ${this.expectedCategory}`,
    );
  }

  private async prm(value: Scalar, where: Location): Promise<KnownPrm | undefined> {
    const id = text(value) ?? '';
    const known = await this.load(id);
    if (!known) {
      this.error(where('idPrm'), /^\d{14}$/.test(id) ? `unknown PRM ${id}` : `PRM "${id}" must be 14 digits`);
      return undefined;
    }
    return known;
  }

  /** Validates one R63 point and adds it to its PRM-day vector. */
  async curvePoint(p: CurvePointInput, where: Location): Promise<void> {
    if (this.addCurvePoint(p, where)) return;
    const prmId = text(p.prm);
    if (prmId !== this.openPrm && this.openSlots >= FLUSH_POINTS) await this.startRound();
    await this.load(prmId ?? '');
    this.addCurvePoint(p, where);
  }

  /**
   * Synchronous fast path of `curvePoint`: false when the PRM must first be loaded or the days held
   * written (then call `curvePoint`).
   */
  addCurvePoint(p: CurvePointInput, where: Location): boolean {
    const prmId = text(p.prm);
    if (prmId !== this.openPrm && this.openSlots >= FLUSH_POINTS) return false;
    const known = this.prms.get(prmId ?? '');
    if (known === undefined) return false;
    if (prmId !== this.openPrm && known !== null) this.checkCategory(known, where);
    this.openPrm = prmId;
    if (known === null) {
      this.error(
        where('idPrm'),
        prmId !== undefined && /^\d{14}$/.test(prmId)
          ? `unknown PRM ${prmId}`
          : `PRM "${prmId ?? ''}" must be 14 digits`,
      );
      return true;
    }
    this.check(p, where, known);
    return true;
  }

  /**
   * Checks the fields a curve's points share (quantity, stage, unit, step, nature, tc, iv, ec) and
   * returns what they mean, or undefined after reporting the first broken rule. The result of the
   * previous point is reused when its fields are the same: most points of a file repeat them.
   */
  private series(p: CurvePointInput, where: Location, known: KnownPrm): Series | undefined {
    const memo = this.memo;
    if (
      memo !== undefined &&
      memo.known === known &&
      memo.grandeurMetier === p.grandeurMetier &&
      memo.quantityText === p.quantity &&
      memo.stageText === p.stage &&
      memo.unit === p.unit &&
      memo.step === p.step &&
      memo.nature === p.nature &&
      memo.tc === p.tc &&
      memo.iv === p.iv &&
      memo.ec === p.ec
    )
      return memo;
    const { record } = known;
    const category = record.category;
    if (text(p.grandeurMetier) !== 'CONS') {
      this.error(
        where('grandeurMetier'),
        `grandeurMetier "${text(p.grandeurMetier) ?? ''}" is not CONS (only consumption is stored)`,
      );
      return undefined;
    }
    const quantity = QUANTITIES.find((q) => q === text(p.quantity));
    if (!quantity || !QUANTITIES_FOR[category].includes(quantity)) {
      this.error(
        where('grandeurPhysique'),
        `grandeurPhysique "${text(p.quantity) ?? ''}" is not allowed for category ${category} (${QUANTITIES_FOR[category].join(', ')})`,
      );
      return undefined;
    }
    const stageText = text(p.stage);
    if (stageText !== 'BRUT' && !(stageText === 'BEST' && category === 'A')) {
      this.error(
        where('etapeMetier'),
        `etapeMetier "${stageText ?? ''}" is not allowed for category ${category} (${category === 'A' ? 'BRUT, BEST' : 'BRUT'})`,
      );
      return undefined;
    }
    const stage: Stage = stageText;
    if (text(p.unit) !== UNITS[quantity]) {
      this.error(where('unite'), `unite "${text(p.unit) ?? ''}" must be ${UNITS[quantity]} for ${quantity}`);
      return undefined;
    }
    if (text(p.step) !== record.step) {
      this.error(where('p'), `step "${text(p.step) ?? ''}" is not the PRM's step ${record.step}`);
      return undefined;
    }
    const nature = text(p.nature) as Nature | undefined;
    const allowed = ALLOWED_NATURES[category][stage];
    if (!nature || !allowed.includes(nature)) {
      this.error(
        where('n'),
        `nature "${nature ?? ''}" is not allowed for category ${category} ${stage} (${allowed.join(', ')})`,
      );
      return undefined;
    }
    const tc = text(p.tc) as CompletionType | undefined;
    if (tc !== undefined) {
      const completions = COMPLETIONS_FOR[nature];
      if (stage !== 'BEST' || !completions || !completions.includes(tc)) {
        this.error(where('tc'), `completion type "${tc}" is not allowed for nature ${nature} ${stage}`);
        return undefined;
      }
    }
    const iv = integer(p.iv);
    const ec = integer(p.ec);
    if (category === 'A' && (text(p.iv) !== undefined || text(p.ec) !== undefined)) {
      this.error(
        where(text(p.iv) !== undefined ? 'iv' : 'ec'),
        'iv and ec are only given for category B (Linky) points',
      );
      return undefined;
    }
    if (text(p.iv) !== undefined && (iv === undefined || iv < 0 || iv > 2)) {
      this.error(where('iv'), `iv "${text(p.iv)}" is not 0, 1 or 2`);
      return undefined;
    }
    if (text(p.ec) !== undefined && (ec === undefined || !(EC_CODES as readonly number[]).includes(ec))) {
      this.error(where('ec'), `ec "${text(p.ec)}" is not one of ${EC_CODES.join(', ')}`);
      return undefined;
    }
    this.memo = {
      known,
      grandeurMetier: p.grandeurMetier,
      quantityText: p.quantity,
      stageText: p.stage,
      unit: p.unit,
      step: p.step,
      nature: p.nature,
      tc: p.tc,
      iv: p.iv,
      ec: p.ec,
      quantity,
      stage,
      quality: packQualityParts(nature, tc, iv, ec),
    };
    return this.memo;
  }

  private check(p: CurvePointInput, where: Location, known: KnownPrm): void {
    const series = this.series(p, where, known);
    if (series === undefined) return;
    const { quantity, stage } = series;
    const value = integer(p.value);
    if (value === undefined)
      return this.error(where('v'), `value "${text(p.value) ?? ''}" is not an integer`);
    if (value < MIN_CURVE || value > MAX_CURVE) {
      return this.error(
        where('v'),
        `value ${text(p.value) ?? ''} is outside the stored range ${MIN_CURVE}…${MAX_CURVE} ${UNITS[quantity]}`,
      );
    }
    if (stage === 'BEST' && value < 0)
      return this.error(where('v'), `a corrected (BEST) value cannot be negative: ${value}`);
    const { record } = known;
    const timestamp = text(p.timestamp);
    let acc = this.last;
    if (
      acc !== undefined &&
      timestamp === acc.nextLabel &&
      acc.quantity === quantity &&
      acc.stage === stage &&
      acc.prm === record.prm
    ) {
      // The point after the previous one, on a time of day that occurs once: same day, same slot rules.
      this.place(acc, acc.nextSlot, value, series.quality);
      return;
    }
    const category = record.category;
    if (!timestamp || timestamp.length !== 19) {
      return this.error(where('d'), `timestamp "${timestamp ?? ''}" is not AAAA-MM-JJ hh:mm:ss`);
    }
    const date = timestamp.slice(0, 10);
    if (date !== this.checkedDate) {
      // Before any calendar arithmetic on it: the calendar functions take only real days.
      if (!TIMESTAMP.test(timestamp) || !isLocalDay(date)) {
        return this.error(
          where('d'),
          `timestamp "${timestamp}" is not a local timestamp AAAA-MM-JJ hh:mm:ss`,
        );
      }
      this.checkedDate = detach(date);
    }
    const day = dayOfPointTimestamp(timestamp, category);
    if (day !== this.gridDay || category !== this.gridCategory || known.minutes !== this.gridMinutes) {
      if (day < FIRST_DAY || day >= END_DAY) return this.error(where('d'), `day ${day} ${OUTSIDE_RANGE}`);
      this.grid = dayPositionIndex(day, category, known.minutes);
      // A copy: `day` is a slice of the read buffer and would keep the whole chunk alive in map keys.
      this.gridDay = detach(day);
      this.gridCategory = category;
      this.gridMinutes = known.minutes;
      this.gridLimit = this.windowLimit(day, known.minutes);
    }
    const positions = this.grid!.get(timestamp);
    if (!positions) {
      return this.error(
        where('d'),
        `timestamp ${timestamp} is not on the ${record.step} grid of local day ${day}`,
      );
    }
    if (
      category === 'B' &&
      !known.collection.some((c) => c.startDate <= day && (c.endDate === null || day < c.endDate))
    ) {
      return this.error(
        where('idPrm'),
        `curve collection of PRM ${record.prm} was off on ${day}: its curve is refused`,
      );
    }
    if (
      !acc ||
      acc.day !== day ||
      acc.quantity !== quantity ||
      acc.stage !== stage ||
      acc.prm !== record.prm
    ) {
      if (!this.forRecipient(known, day, where)) return;
      acc = this.accumulator(record.prm, this.gridDay!, category, quantity, stage, known.minutes);
      this.last = acc;
    }
    acc.limit = Math.min(this.gridLimit, acc.labels.length);
    const set = acc.set;
    const slot = set[positions[0]!] ? positions.find((i) => !set[i]) : positions[0]!;
    if (slot === undefined)
      return this.error(where('d'), `duplicate point ${timestamp} for ${record.prm} ${quantity} ${stage}`);
    if (slot >= acc.limit) {
      return this.error(
        where('d'),
        `point ${timestamp} was measured after the end of the file's collection window (dateFin ${this.window?.end ?? ''})`,
      );
    }
    this.place(acc, slot, value, series.quality);
  }

  /** Sets one point of a PRM-day vector and prepares the fast path for the point that follows it. */
  private place(acc: Accumulator, slot: number, value: number, quality: number): void {
    acc.set[slot] = 1;
    acc.fresh[slot] = 1;
    acc.values[slot] = value;
    acc.qualities[slot] = quality;
    this.summary.curvePoints++;
    const next = slot + 1;
    // Only a time of day that occurs once in the day, a slot still free and inside the collection
    // window can be taken without a lookup.
    acc.nextSlot = next;
    acc.nextLabel =
      next < acc.limit && acc.unique[next] === 1 && acc.set[next] === 0 ? acc.labels[next] : undefined;
  }

  private accumulator(
    prm: string,
    day: string,
    category: Category,
    quantity: Quantity,
    stage: Stage,
    minutes: number,
  ): Accumulator {
    const key = `${prm}|${day}|${quantity}|${stage}`;
    let acc = this.open.get(key);
    if (acc) return acc;
    const labels = dayTimestamps(day, category, minutes);
    const n = labels.length;
    const previous = this.flushed.get(key);
    acc = {
      prm,
      day,
      quantity,
      stage,
      minutes,
      values: new Int32Array(n),
      qualities: new Uint16Array(n),
      set: previous ?? new Uint8Array(n),
      fresh: new Uint8Array(n),
      labels,
      unique: uniqueLabels(labels),
      nextSlot: -1,
      nextLabel: undefined,
      limit: n,
    };
    this.open.set(key, acc);
    this.openSlots += n;
    return acc;
  }

  /**
   * Hands the open PRM-days to a round of writes and goes on reading while the database works (the
   * next round waits for this one: its merge reads must see what this one wrote).
   */
  private async startRound(): Promise<void> {
    await this.settle();
    const list = [...this.open.values()];
    this.open.clear();
    this.openSlots = 0;
    this.last = undefined;
    for (const acc of list) this.flushed.set(`${acc.prm}|${acc.day}|${acc.quantity}|${acc.stage}`, acc.set);
    if (this.failed || this.dryRun || list.length === 0) return;
    this.writing = this.writeRound(list).catch((error: unknown) => {
      this.writeError = error;
    });
  }

  /**
   * Waits for the round of writes in progress, and throws its error. The import awaits it before it
   * ends its transaction, whatever happened: no query may run after the transaction.
   */
  async settle(): Promise<void> {
    const writing = this.writing;
    this.writing = undefined;
    if (writing) await writing;
    if (this.writeError !== undefined) throw this.writeError;
  }

  /**
   * Writes PRM-days, merged over what is stored (points absent from the file are kept), and the
   * corrected curve (BEST) of the category A raw active-power days that changed. A few queries for
   * all the PRMs held, whatever their number.
   */
  private async writeRound(list: readonly Accumulator[]): Promise<void> {
    const prms = [...new Set(list.map((a) => a.prm))];
    const days = [...new Set(list.map((a) => a.day))].sort();
    const first = days[0]!;
    const end = addDays(days[days.length - 1]!, 1);
    const stored = new Map(
      (await this.store.readCurvesOfPrms(prms, first, end)).map((c) => [
        `${c.prm}|${c.day}|${c.quantity}|${c.stage}`,
        c,
      ]),
    );
    const out: CurveDay[] = [];
    for (const acc of list) {
      const existing = stored.get(`${acc.prm}|${acc.day}|${acc.quantity}|${acc.stage}`);
      let values = acc.values;
      let qualities = acc.qualities;
      if (existing && existing.stepMinutes === acc.minutes) {
        values = Int32Array.from(existing.values);
        qualities = Uint16Array.from(existing.qualities);
        for (let i = 0; i < acc.fresh.length; i++) {
          if (acc.fresh[i]) {
            values[i] = acc.values[i]!;
            qualities[i] = acc.qualities[i]!;
          }
        }
      }
      out.push({
        prm: acc.prm,
        day: acc.day,
        quantity: acc.quantity,
        stage: acc.stage,
        stepMinutes: acc.minutes,
        values,
        qualities,
      });
      if (acc.quantity === 'PA' && acc.stage === 'BRUT') this.touch(acc.prm, acc.day);
    }
    for (const prm of prms) this.writesOf.set(prm, (this.writesOf.get(prm) ?? 0) + 1);
    const changed = await this.store.upsertCurveDays(out, this.now);
    this.summary.curveDaysChanged += changed.length;
    const changedPa = new Map<string, string[]>();
    for (const k of changed) {
      if (k.quantity !== 'PA' || k.stage !== 'BRUT' || this.prms.get(k.prm)?.record.category !== 'A')
        continue;
      const list = changedPa.get(k.prm);
      if (list) list.push(k.day);
      else changedPa.set(k.prm, [k.day]);
      const all = this.rawPaDays.get(k.prm);
      if (all) all.push(k.day);
      else this.rawPaDays.set(k.prm, [k.day]);
    }
    if (changedPa.size > 0) await this.correct(changedPa, out, stored);
  }

  /**
   * Computes and writes the corrected curve of the changed raw PA days (category A), like
   * `recomputeBest` but from the curves just written: only the week before and the index are read.
   */
  private async correct(
    changedPa: ReadonlyMap<string, string[]>,
    written: readonly CurveDay[],
    stored: ReadonlyMap<string, CurveDay>,
  ): Promise<void> {
    const prms = [...changedPa.keys()];
    const allDays = [...changedPa.values()].flat().sort();
    const first = allDays[0]!;
    const last = allDays[allDays.length - 1]!;
    const weekBefore = await this.store.readCurvesOfPrms(prms, addDays(first, -7), first, { quantity: 'PA' });
    const readings = await this.store.readIndexOfPrms(prms, first, addDays(last, 2));
    const records = new Map(prms.map((prm) => [prm, this.prms.get(prm)!.record]));
    const curves = [...weekBefore, ...stored.values(), ...written.filter((c) => c.stage === 'BRUT')];
    const out = correctedPrmDays(records, changedPa, curves, readings);
    for (const k of await this.store.upsertCurveDays(out, this.now))
      this.bestChanged.add(`${k.prm}|${k.day}`);
  }

  private touch(prm: string, day: string): void {
    const set = this.touched.get(prm);
    if (set) set.add(day);
    else this.touched.set(prm, new Set([day]));
  }

  /** Validates one R64 reading and queues it for writing. */
  async indexReading(r: IndexReadingInput, where: Location): Promise<void> {
    const known = this.prms.get(text(r.prm) ?? '') ?? (await this.prm(r.prm, where));
    if (!known) return;
    this.checkCategory(known, where);
    const { record } = known;
    const grid = text(r.grid);
    if (grid === 'F') {
      this.supplierReadings++;
      return;
    }
    const stage = text(r.stage);
    if (stage !== undefined && stage !== 'BRUT')
      return this.error(where('etapeMetier'), `etapeMetier "${stage}" of an index must be BRUT`);
    if (text(r.grandeurPhysique) !== 'EA') {
      return this.error(
        where('grandeurPhysique'),
        `grandeurPhysique "${text(r.grandeurPhysique) ?? ''}" is not stored (only active energy EA)`,
      );
    }
    if (text(r.grandeurMetier) !== 'CONS') {
      return this.error(
        where('grandeurMetier'),
        `grandeurMetier "${text(r.grandeurMetier) ?? ''}" is not CONS (only consumption is stored)`,
      );
    }
    if (text(r.unit) !== 'Wh')
      return this.error(where('unite'), `unite "${text(r.unit) ?? ''}" must be Wh for EA`);
    const timestamp = text(r.timestamp);
    if (
      !timestamp ||
      !TIMESTAMP.test(timestamp) ||
      !timestamp.endsWith(' 00:00:00') ||
      !isLocalDay(timestamp.slice(0, 10))
    ) {
      return this.error(
        where('d'),
        `timestamp "${timestamp ?? ''}" is not a daily reading at local midnight (AAAA-MM-JJ 00:00:00)`,
      );
    }
    const day = detach(timestamp.slice(0, 10));
    if (day < FIRST_DAY || day >= END_DAY) return this.error(where('d'), `day ${day} ${OUTSIDE_RANGE}`);
    // Midnight is never an ambiguous local time: the texts compare like the instants.
    if (this.window !== undefined && timestamp >= this.window.end) {
      return this.error(
        where('d'),
        `reading ${timestamp} was measured after the end of the file's collection window (dateFin ${this.window.end})`,
      );
    }
    if (!this.forRecipient(known, day, where)) return;
    let register: string;
    const calendar = record.distributorCalendar as DistributorCalendar;
    if (grid === 'T') {
      if (record.category !== 'B')
        return this.error(where('grille'), 'a totalizer index exists only for category B (Linky)');
      register = TOTALIZER;
    } else if (grid === 'D') {
      const calendarId = text(r.calendarId);
      if (calendarId !== undefined && calendarId !== 'D' && calendarId !== calendar) {
        return this.error(
          where('idCalendrier'),
          `calendar "${calendarId}" is not the PRM's distributor calendar ${calendar}`,
        );
      }
      const timeClass = text(r.timeClass);
      const classes = DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[];
      if (!timeClass || !classes.includes(timeClass)) {
        return this.error(
          where('idClasseTemporelle'),
          `time class "${timeClass ?? ''}" is not one of calendar ${calendar} (${classes.join(', ')})`,
        );
      }
      register = classes.find((c) => c === timeClass)!;
    } else return this.error(where('grille'), `grid "${grid ?? ''}" is not D, F or T`);
    const value = integer(r.value);
    if (value === undefined)
      return this.error(where('v'), `index value "${text(r.value) ?? ''}" is not an integer`);
    if (value < 0 || value > MAX_INDEX)
      return this.error(where('v'), `index value ${text(r.value) ?? ''} is outside 0…${MAX_INDEX} Wh`);
    const ivText = text(r.iv);
    const iv = integer(r.iv);
    if (record.category === 'A' && ivText !== undefined)
      return this.error(where('iv'), 'iv is only given for category B (Linky) index');
    if (ivText !== undefined && (iv === undefined || iv < 0 || iv > 15))
      return this.error(where('iv'), `iv "${ivText}" is not an integer from 0 to 15`);
    const key = `${record.prm}|${day}|${register}`;
    if (this.indexKeys.has(key))
      return this.error(where('d'), `duplicate index reading ${record.prm} ${day} ${register}`);
    this.indexKeys.add(key);
    this.summary.indexReadings++;
    this.touch(record.prm, day);
    this.touch(record.prm, addDays(day, -1));
    if (this.failed) return;
    this.indexBuffer.push({ prm: record.prm, day, register, valueWh: value, iv: iv ?? null });
    if (this.indexBuffer.length >= INDEX_BATCH) await this.flushIndex();
  }

  private async flushIndex(): Promise<void> {
    const batch = this.indexBuffer;
    this.indexBuffer = [];
    if (!this.failed && !this.dryRun && batch.length > 0)
      this.summary.indexReadingsChanged += await this.store.upsertIndexReadings(batch, this.now);
  }

  /**
   * Ends the file: writes what remains, recomputes the corrected curve of changed raw days, checks
   * index/curve consistency (warnings), or throws IMPORT_REJECTED when any rule was broken.
   */
  async finish(): Promise<ImportSummary> {
    await this.startRound();
    await this.settle();
    await this.flushIndex();
    if (this.failed) this.reject();
    if (this.summary.curvePoints + this.summary.indexReadings === 0) {
      this.error('file', 'no measurement found');
      this.reject();
    }
    await this.redoBestOfPrmsWrittenTwice();
    const bestDaysChanged = this.bestChanged.size;
    await this.checkConsistency();
    if (this.supplierReadings > 0) {
      this.warnings.push(
        `${this.file}: ${this.supplierReadings} supplier-grid (F) index reading(s) ignored: only the distributor grid is stored`,
      );
    }
    if (this.warningCount > MAX_WARNINGS)
      this.warnings.push(`${this.file}: … ${this.warningCount - MAX_WARNINGS} more mismatch warning(s)`);
    return { file: this.file, ...this.summary, bestDaysChanged, warnings: this.warnings };
  }

  /**
   * A PRM whose block came back later in the file was written (and corrected) in several rounds: a day
   * may have copied a week before that a later round changed. Its changed days are corrected again, in
   * order, now that all its raw days are written (an unchanged result adds no version).
   */
  private async redoBestOfPrmsWrittenTwice(): Promise<void> {
    const again: Array<{ prm: string; day: string }> = [];
    for (const [prm, days] of this.rawPaDays)
      if ((this.writesOf.get(prm) ?? 0) > 1) for (const day of days) again.push({ prm, day });
    if (again.length === 0) return;
    for (const k of await recomputeBest(this.db, again, this.now)) this.bestChanged.add(`${k.prm}|${k.day}`);
  }

  /** Quality warning when a complete raw day's energy per time class differs from its index increase. */
  private async checkConsistency(): Promise<void> {
    const touched = [...this.touched].filter(([prm]) => this.prms.get(prm));
    // The index of 500 PRMs per query; the curves only of PRMs that have index readings.
    for (let i = 0; i < touched.length; i += 500) {
      const chunk = touched.slice(i, i + 500);
      const all = chunk.flatMap(([, daySet]) => [...daySet]).sort();
      const readingsOf = new Map<string, StoredIndexReading[]>();
      for (const r of await this.store.readIndexOfPrms(
        chunk.map(([prm]) => prm),
        all[0]!,
        addDays(all[all.length - 1]!, 2),
      )) {
        const list = readingsOf.get(r.prm);
        if (list) list.push(r);
        else readingsOf.set(r.prm, [r]);
      }
      for (const [prm, daySet] of chunk) await this.checkPrm(prm, daySet, readingsOf.get(prm) ?? []);
    }
  }

  /** Compares each complete raw day of one PRM with its index increase, per time class. */
  private async checkPrm(
    prm: string,
    daySet: ReadonlySet<string>,
    readings: readonly StoredIndexReading[],
  ): Promise<void> {
    const known = this.prms.get(prm)!;
    const days = [...daySet].sort();
    const first = days[0]!;
    const last = days[days.length - 1]!;
    const dayAfter = addDays(last, 1);
    if (!readings.some((r) => r.day >= first && r.day <= dayAfter)) return;
    const curves = await this.store.readCurves(prm, first, addDays(last, 1), {
      quantity: 'PA',
      stage: 'BRUT',
    });
    const calendar = known.record.distributorCalendar as DistributorCalendar;
    const classes = DISTRIBUTOR_CALENDARS[calendar].timeClasses as readonly string[];
    const at = new Map(readings.map((r) => [`${r.day}|${r.register}`, r.valueWh]));
    for (const curve of curves) {
      if (!daySet.has(curve.day) || !curve.qualities.every((q) => isPresent(q))) continue;
      const hours = curve.stepMinutes / 60;
      const cls = dayTimeClasses(curve.day, curve.stepMinutes, calendar);
      const energy = new Array<number>(classes.length).fill(0);
      curve.values.forEach((v, i) => (energy[cls[i]!]! += v * hours));
      // Published values are rounded to the watt: allow half a watt per point, plus the index rounding.
      const tolerance = 1 + 0.5 * hours * curve.values.length;
      classes.forEach((register, c) => {
        const start = at.get(`${curve.day}|${register}`);
        const end = at.get(`${addDays(curve.day, 1)}|${register}`);
        if (start === undefined || end === undefined) return;
        if (Math.abs(end - start - energy[c]!) > tolerance) {
          this.warningCount++;
          if (this.warningCount <= MAX_WARNINGS) {
            this.warnings.push(
              `${this.file}: PRM ${prm} ${curve.day} ${register}: index increase ${end - start} Wh but curve energy ${Math.round(energy[c]!)} Wh`,
            );
          }
        }
      });
    }
  }
}
