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
  /** Nesting of JSON arrays and objects (an R63 file needs 5, R64 7). */
  maxJsonDepth: number;
  /** Characters of one JSON string (an R6X string is at most a timestamp or an identifier). */
  maxJsonStringLength: number;
  /** Characters of one JSON number. */
  maxJsonNumberLength: number;
  /**
   * Values (scalars) of one element of `mesures`: it is held whole while it is read. A year of one PRM's
   * 5-minute curve on three quantities is ~0.9 M points of 3–5 values each.
   */
  maxJsonElementValues: number;
}

export const DEFAULT_IMPORT_LIMITS: Readonly<ImportLimits> = {
  maxUncompressedBytes: 4 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxJsonDepth: 16,
  maxJsonStringLength: 1024,
  maxJsonNumberLength: 32,
  maxJsonElementValues: 8_000_000,
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
