/**
 * Bounds on what a measurement file may be, so that a hostile or broken file is refused with its place
 * instead of exhausting memory or time. docs/input-limits.md lists every limit and rule in one place;
 * the archive limits can be changed through the environment (`config.ts`).
 */
export interface ImportLimits {
  /** Bytes of content a zip may expand to (the one data file it holds). */
  maxUncompressedBytes: number;
  /** Largest expansion of a zip entry: uncompressed size over compressed size. */
  maxCompressionRatio: number;
  /** Nesting of JSON arrays and objects, the root object included (an R63 file needs 7, R64 13). */
  maxJsonDepth: number;
  /** Characters of one JSON string or member name (an R6X string is a timestamp or an identifier). */
  maxJsonStringLength: number;
  /** Characters of one JSON number. */
  maxJsonNumberLength: number;
  /**
   * Values (arrays, objects and scalars) of one element of `mesures` or other root member: it is held
   * whole while it is read. About a year of one category-A PRM's 5-minute curve on three quantities
   * (315 360 points of a point object, `d`, `v` and `n`: 1.26 M values; a point also carrying `p`, `iv`
   * and `ec` has 7, so ~7 months). 1.5 M values hold ~50 MB as R63 points, ~100 MB at worst (empty
   * objects).
   */
  maxJsonElementValues: number;
  /**
   * Characters of text one element of `mesures` or other root member may span. Counting values alone
   * would let 1.5 M strings of 1 024 characters through (1.5 GB), and a string read from the text keeps
   * the chunk it was read from alive; with `maxJsonElementValues`, this keeps what one element holds
   * near 150 MB. A year of R63 points as above is ~15 M characters of compact JSON.
   */
  maxJsonElementChars: number;
}

export const DEFAULT_IMPORT_LIMITS: Readonly<ImportLimits> = {
  maxUncompressedBytes: 4 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxJsonDepth: 16,
  maxJsonStringLength: 1024,
  maxJsonNumberLength: 32,
  maxJsonElementValues: 1_500_000,
  maxJsonElementChars: 48 * 1024 * 1024,
};

/** Domain ranges of imported measurements (checked by the sink, with the point's place). */
export const MEASUREMENT_RANGES = {
  /** First and last local day (inclusive / exclusive) a measurement may be dated. */
  firstDay: '2000-01-01',
  endDay: '2100-01-01',
  /** Curve values are stored as 32-bit signed integers (W or VAr). */
  minCurveValue: -2147483648,
  maxCurveValue: 2147483647,
  /**
   * An index register shows at most 12 digits of kWh: below 10^15 Wh (and below 2^53, so exact as a
   * double on every engine).
   */
  maxIndexWh: 999_999_999_999_999,
} as const;
