import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './import-limits.js';

/**
 * Incremental JSON parser for R6X files of any size. It is fed text chunks and returns completed
 * events: each element of the root's `mesures` array (one PRM block, assembled and then dropped) and
 * each other root member (header, echeances). Memory is bounded by the import limits, not by the
 * file: nesting depth, string and number length, and the values one element may hold. Malformed or
 * ambiguous input (a duplicated member name) throws `JsonSyntaxError` with the JSON path and
 * line/column; paths and messages stay short whatever the input.
 *
 * Objects have a null prototype: `__proto__`, `constructor` or `toString` are ordinary member names,
 * and a member the file does not hold is never found through a prototype.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type JsonObject = { [key: string]: JsonValue };

export type JsonEvent =
  { kind: 'mesure'; index: number; value: JsonValue } | { kind: 'member'; key: string; value: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    readonly column: number,
    readonly rule: string,
  ) {
    super(`malformed JSON at ${path} (line ${line}, column ${column}): ${rule}`);
  }
}

/** One open array or object. Frames are reused by depth: one object per level, not per container. */
interface Frame {
  isArray: boolean;
  /** Container being built; undefined for the root and the streamed `mesures` array (not retained). */
  container: JsonValue[] | JsonObject | undefined;
  /** Object: name of the member being read (undefined until it is read). */
  key: string | undefined;
  /** Array: index of the element being read. */
  index: number;
  /** The root's `mesures` array: its elements are handed over as events. */
  streamed: boolean;
  /** Root only: member names seen (the root is not built, so duplicates are found here). */
  names: Set<string> | undefined;
}

// What the parser expects next.
const VALUE = 0;
/** Just after "[": a value or "]". */
const FIRST_VALUE = 1;
/** Just after "{": a member name or "}". */
const FIRST_KEY = 2;
/** After "," in an object. */
const KEY = 3;
const COLON = 4;
/** After a value inside a container: "," or the container's end. */
const AFTER = 5;
const STRING = 6;
const NUMBER = 7;
const LITERAL = 8;
const DONE = 9;

/** Longest literal (`false`); a longer run of letters is refused without being kept. */
const MAX_LITERAL_LENGTH = 5;
/** Characters of input a message quotes at most. */
const QUOTED_LENGTH = 32;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** What follows a backslash, by character code (`u` is handled apart). */
const ESCAPED: Array<string | undefined> = [];
for (const [c, s] of Object.entries({
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
}))
  ESCAPED[c.charCodeAt(0)] = s;

/**
 * A new member-holding object with a null prototype. `Object.create(null)` would give the same
 * prototype but a dictionary-mode object in V8, about 3× slower to fill and to read on the hot path.
 */
const newObject = (): JsonObject => Object.setPrototypeOf({}, null) as JsonObject;

/** Input quoted in a message: at most `QUOTED_LENGTH` characters, escaped (one line). */
function quoted(text: string): string {
  return JSON.stringify(text.length > QUOTED_LENGTH ? `${text.slice(0, QUOTED_LENGTH)}…` : text);
}

const quotedChar = (c: number) => quoted(String.fromCharCode(c));

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Whether `token` (made of `-+.eE` and digits) is a JSON number: `-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?`. */
function isJsonNumber(token: string): boolean {
  const n = token.length;
  let i = token.charCodeAt(0) === 0x2d ? 1 : 0;
  if (token.charCodeAt(i) === 0x30) i++;
  else if (isDigit(token.charCodeAt(i))) {
    i++;
    while (isDigit(token.charCodeAt(i))) i++;
  } else return false;
  if (token.charCodeAt(i) === 0x2e) {
    const first = ++i;
    while (isDigit(token.charCodeAt(i))) i++;
    if (i === first) return false;
  }
  const e = token.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    const sign = token.charCodeAt(++i);
    if (sign === 0x2b || sign === 0x2d) i++;
    const first = i;
    while (isDigit(token.charCodeAt(i))) i++;
    if (i === first) return false;
  }
  return i === n;
}

function hexValue(c: number): number {
  if (isDigit(c)) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class JsonStreamParser {
  private readonly maxDepth: number;
  private readonly maxStringLength: number;
  private readonly maxNumberLength: number;
  private readonly maxElementValues: number;
  private readonly maxElementChars: number;

  private readonly frames: Frame[] = [];
  private depth = 0;
  private top: Frame | undefined;
  private mode = VALUE;
  /** Text of the string, number or literal being read across chunks. */
  private token = '';
  private stringIsKey = false;
  /** -1 outside an escape, 0 after a backslash, 1–4: hex digits of a `\u` escape still to read. */
  private escape = -1;
  private escapeCode = 0;
  /** Values begun in the current element of `mesures` or root member. */
  private elementValues = 0;
  /** Whether a value begun now is an element of `mesures` or a root member. */
  private elementLevel = false;
  /** Frames the current element's path is made of (1 for a root member, 2 for a `mesures` element). */
  private elementDepth = 0;
  /** Where the current element starts, counted like `offset`. */
  private elementStart = 0;
  /** Characters fed before the current chunk, and where the current line starts (same count). */
  private offset = 0;
  private lineStart = 0;
  private line = 1;
  private events: JsonEvent[] = [];

  constructor(limits: Partial<ImportLimits> = {}) {
    this.maxDepth = limits.maxJsonDepth ?? DEFAULT_IMPORT_LIMITS.maxJsonDepth;
    this.maxStringLength = limits.maxJsonStringLength ?? DEFAULT_IMPORT_LIMITS.maxJsonStringLength;
    this.maxNumberLength = limits.maxJsonNumberLength ?? DEFAULT_IMPORT_LIMITS.maxJsonNumberLength;
    this.maxElementValues = limits.maxJsonElementValues ?? DEFAULT_IMPORT_LIMITS.maxJsonElementValues;
    this.maxElementChars = limits.maxJsonElementChars ?? DEFAULT_IMPORT_LIMITS.maxJsonElementChars;
  }

  /** Feeds a chunk; returns the events it completed. */
  write(chunk: string): JsonEvent[] {
    this.events = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const mode = this.mode;
      if (mode === STRING) i = this.readString(chunk, i);
      else if (mode === NUMBER) i = this.readNumber(chunk, i);
      else if (mode === LITERAL) i = this.readLiteral(chunk, i);
      else {
        const c = chunk.charCodeAt(i);
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          if (c === 0x0a) {
            this.line++;
            this.lineStart = this.offset + i + 1;
          }
          i++;
        } else i = this.structural(c, chunk, i);
      }
    }
    this.offset += n;
    return this.events;
  }

  /** Signals the end of input; throws if the document is incomplete. */
  end(): JsonEvent[] {
    this.events = [];
    // Errors point at the last character read: index -1 of the chunk after it.
    if (this.mode === NUMBER || this.mode === LITERAL) {
      const token = this.token;
      this.token = '';
      if (this.mode === NUMBER) this.finishNumber(token, -1);
      else this.finishLiteral(token, -1);
    }
    if (this.mode === VALUE && this.depth === 0) this.fail('empty document', -1);
    if (this.mode !== DONE) this.fail('unexpected end of file', -1);
    return this.events;
  }

  /** A character outside strings, numbers and literals, not white space; returns the next index. */
  private structural(c: number, chunk: string, i: number): number {
    switch (this.mode) {
      case VALUE:
        return this.startValue(c, chunk, i);
      case FIRST_VALUE:
        return c === 0x5d ? this.close(i) : this.startValue(c, chunk, i);
      case AFTER: {
        const top = this.top!;
        if (c === 0x2c) {
          if (top.isArray) {
            top.index++;
            this.mode = VALUE;
          } else {
            top.key = undefined;
            this.mode = KEY;
          }
          return i + 1;
        }
        if (c === (top.isArray ? 0x5d : 0x7d)) return this.close(i);
        return this.fail(`expected "," or "${top.isArray ? ']' : '}'}" but found ${quotedChar(c)}`, i);
      }
      case FIRST_KEY:
        if (c === 0x7d) return this.close(i);
        return this.startKey(c, i);
      case KEY:
        return this.startKey(c, i);
      case COLON:
        if (c !== 0x3a) this.fail(`expected ":" but found ${quotedChar(c)}`, i);
        this.mode = VALUE;
        return i + 1;
      default:
        return this.fail(`unexpected ${quotedChar(c)} after the end of the document`, i);
    }
  }

  private startKey(c: number, i: number): number {
    if (c !== 0x22) this.fail(`expected a member name in double quotes but found ${quotedChar(c)}`, i);
    this.mode = STRING;
    this.stringIsKey = true;
    return i + 1;
  }

  private startValue(c: number, chunk: string, i: number): number {
    if (this.depth === 0) {
      if (c !== 0x7b) this.fail('the document must be an object', i);
      this.push(false, i);
      this.mode = FIRST_KEY;
      return i + 1;
    }
    if (this.elementLevel) {
      this.elementValues = 0;
      this.elementDepth = this.depth;
      this.elementStart = this.offset + i;
    }
    if (++this.elementValues > this.maxElementValues) {
      this.fail(
        `element holds more than ${this.maxElementValues} values (arrays, objects and scalars)`,
        i,
        this.path(this.elementDepth),
      );
    }
    if (this.offset + i - this.elementStart > this.maxElementChars) {
      this.fail(`element longer than ${this.maxElementChars} characters`, i, this.path(this.elementDepth));
    }
    switch (c) {
      case 0x7b:
        this.push(false, i);
        this.mode = FIRST_KEY;
        return i + 1;
      case 0x5b:
        this.push(true, i);
        this.mode = FIRST_VALUE;
        return i + 1;
      case 0x22:
        this.mode = STRING;
        this.stringIsKey = false;
        return this.readString(chunk, i + 1);
      case 0x74:
      case 0x66:
      case 0x6e:
        this.mode = LITERAL;
        return this.readLiteral(chunk, i);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          this.mode = NUMBER;
          return this.readNumber(chunk, i);
        }
        return this.fail(`unexpected ${quotedChar(c)} where a value is expected`, i);
    }
  }

  private push(isArray: boolean, i: number): void {
    const depth = this.depth;
    if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`, i);
    const streamed = isArray && depth === 1 && this.top!.key === 'mesures';
    let frame = this.frames[depth];
    if (!frame) {
      frame = {
        isArray,
        container: undefined,
        key: undefined,
        index: 0,
        streamed: false,
        names: depth === 0 ? new Set() : undefined,
      };
      this.frames.push(frame);
    }
    frame.isArray = isArray;
    frame.container = depth === 0 || streamed ? undefined : isArray ? [] : newObject();
    frame.key = undefined;
    frame.index = 0;
    frame.streamed = streamed;
    this.depth = depth + 1;
    this.top = frame;
    this.elementLevel = depth === 0 || streamed;
  }

  /** Closes the innermost container (its kind already checked). */
  private close(i: number): number {
    const frame = this.top!;
    const value = frame.container ?? null;
    frame.container = undefined;
    const depth = --this.depth;
    if (depth === 0) {
      this.top = undefined;
      this.mode = DONE;
      return i + 1;
    }
    const top = this.frames[depth - 1]!;
    this.top = top;
    this.elementLevel = depth === 1 || top.streamed;
    this.complete(value);
    return i + 1;
  }

  private complete(value: JsonValue): void {
    const top = this.top!;
    if (top.isArray) {
      if (top.streamed) this.events.push({ kind: 'mesure', index: top.index, value });
      else (top.container as JsonValue[]).push(value);
    } else if (top.container === undefined) {
      if (top.key !== 'mesures') this.events.push({ kind: 'member', key: top.key!, value });
    } else (top.container as JsonObject)[top.key!] = value;
    this.mode = AFTER;
  }

  /** Reads string content from `i` (after the opening quote or where the last chunk ended). */
  private readString(chunk: string, i: number): number {
    const n = chunk.length;
    const max = this.maxStringLength;
    while (i < n) {
      if (this.escape >= 0) {
        i = this.readEscape(chunk, i);
        continue;
      }
      const start = i;
      const room = max - this.token.length;
      // Scans at most one character beyond the limit: a long string is refused without being kept.
      const stop = Math.min(n, i + room + 1);
      let c = 0;
      while (i < stop) {
        c = chunk.charCodeAt(i);
        if (c === 0x22 || c === 0x5c || c < 0x20) break;
        i++;
      }
      if (i - start > room) this.failLongString(this.token + chunk.slice(start, i), i - 1);
      if (i === n) {
        this.token += chunk.slice(start, i);
        return n;
      }
      if (c === 0x22) {
        const text = this.token === '' ? chunk.slice(start, i) : this.token + chunk.slice(start, i);
        this.token = '';
        if (this.stringIsKey) this.finishKey(text, i);
        else this.complete(text);
        return i + 1;
      }
      if (c === 0x5c) {
        this.token += chunk.slice(start, i);
        this.escape = 0;
        i++;
        continue;
      }
      if (c === 0x0a) this.fail('unterminated string (line break inside)', i);
      this.fail(`control character U+${c.toString(16).padStart(4, '0').toUpperCase()} in a string`, i);
    }
    return i;
  }

  private readEscape(chunk: string, i: number): number {
    const c = chunk.charCodeAt(i);
    if (this.escape === 0) {
      if (c === 0x75) {
        this.escape = 4;
        this.escapeCode = 0;
        return i + 1;
      }
      const text = ESCAPED[c];
      if (text === undefined)
        this.fail(`invalid escape ${quoted(`\\${String.fromCharCode(c)}`)} in a string`, i);
      this.escape = -1;
      this.appendEscaped(text, i);
      return i + 1;
    }
    const digit = hexValue(c);
    if (digit < 0) this.fail('invalid \\u escape in a string', i);
    this.escapeCode = this.escapeCode * 16 + digit;
    if (--this.escape === 0) {
      this.escape = -1;
      this.appendEscaped(String.fromCharCode(this.escapeCode), i);
    }
    return i + 1;
  }

  private appendEscaped(text: string, i: number): void {
    if (this.token.length >= this.maxStringLength) this.failLongString(this.token, i);
    this.token += text;
  }

  private failLongString(start: string, i: number): never {
    const what = this.stringIsKey ? 'member name' : 'string';
    return this.fail(`${what} longer than ${this.maxStringLength} characters, starting ${quoted(start)}`, i);
  }

  private finishKey(key: string, i: number): void {
    const top = this.top!;
    const duplicate = top.names ? top.names.has(key) : (top.container as JsonObject)[key] !== undefined;
    top.key = key;
    if (duplicate) this.fail(`duplicate key ${quoted(key)}`, i);
    top.names?.add(key);
    this.mode = COLON;
  }

  private readNumber(chunk: string, i: number): number {
    const n = chunk.length;
    const start = i;
    const room = this.maxNumberLength - this.token.length;
    const stop = Math.min(n, i + room + 1);
    while (i < stop) {
      const c = chunk.charCodeAt(i);
      if (!isDigit(c) && c !== 0x2d && c !== 0x2e && c !== 0x65 && c !== 0x45 && c !== 0x2b) break;
      i++;
    }
    if (i - start > room) {
      const text = quoted(this.token + chunk.slice(start, i));
      this.fail(`number longer than ${this.maxNumberLength} characters, starting ${text}`, i - 1);
    }
    if (i === n) {
      this.token += chunk.slice(start, i);
      return n;
    }
    const token = this.token === '' ? chunk.slice(start, i) : this.token + chunk.slice(start, i);
    this.token = '';
    this.finishNumber(token, i - 1);
    return i;
  }

  /** `last`: index of the token's last character. */
  private finishNumber(token: string, last: number): void {
    if (!isJsonNumber(token)) this.fail(`invalid number ${quoted(token)}`, last);
    this.complete(Number(token));
  }

  private readLiteral(chunk: string, i: number): number {
    const n = chunk.length;
    const start = i;
    const room = MAX_LITERAL_LENGTH - this.token.length;
    const stop = Math.min(n, i + room + 1);
    while (i < stop) {
      const c = chunk.charCodeAt(i);
      if (c < 0x61 || c > 0x7a) break;
      i++;
    }
    const token = this.token + chunk.slice(start, i);
    if (i - start > room) this.fail(`invalid literal ${quoted(token)}`, i - 1);
    if (i === n) {
      this.token = token;
      return n;
    }
    this.token = '';
    this.finishLiteral(token, i - 1);
    return i;
  }

  private finishLiteral(token: string, last: number): void {
    if (token === 'true') this.complete(true);
    else if (token === 'false') this.complete(false);
    else if (token === 'null') this.complete(null);
    else this.fail(`invalid literal ${quoted(token)}`, last);
  }

  /**
   * JSON path of the position being parsed, e.g. `$.mesures[3].grandeur[0].points[17].v`, through the
   * first `depth` levels. It has at most `maxJsonDepth` steps; a member name that is not a short
   * identifier is quoted and cut (`$["a b"]`).
   */
  path(depth = this.depth): string {
    let path = '$';
    for (let d = 0; d < depth; d++) {
      const frame = this.frames[d]!;
      if (frame.isArray) path += `[${frame.index}]`;
      else if (frame.key !== undefined) {
        const key = frame.key;
        path += key.length <= QUOTED_LENGTH && IDENTIFIER.test(key) ? `.${key}` : `[${quoted(key)}]`;
      }
    }
    return path;
  }

  /** `i`: index in the chunk being read (the column is computed from it). */
  private fail(rule: string, i: number, path = this.path()): never {
    throw new JsonSyntaxError(path, this.line, this.offset + i - this.lineStart + 1, rule);
  }
}
