/**
 * Incremental JSON parser for R6X files of any size. It is fed text chunks and returns completed
 * events: each element of the root's `mesures` array (one PRM block, assembled and then dropped) and
 * each other root member (header, echeances). Memory is bounded by the largest PRM block, not by
 * the file. Malformed input throws `JsonSyntaxError` with the JSON path and line/column.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

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

interface Frame {
  type: 'object' | 'array';
  /** Container being built; undefined for the root and the streamed `mesures` array (not retained). */
  container: JsonValue[] | { [key: string]: JsonValue } | undefined;
  key: string | undefined;
  index: number;
  /** Whether an element/member has been completed and a ',' or end is expected. */
  needComma: boolean;
  /** Object only: a key was read, a ':' then a value is expected. */
  awaitingColon: boolean;
  streamed: boolean;
}

type Mode = 'value' | 'key' | 'string' | 'number' | 'literal' | 'done';

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export class JsonStreamParser {
  private stack: Frame[] = [];
  private mode: Mode = 'value';
  private started = false;
  private token = '';
  private stringIsKey = false;
  private escape: string | undefined; // '' after a backslash, or the hex digits of a \u escape
  private line = 1;
  private column = 0;
  private events: JsonEvent[] = [];

  /** Feeds a chunk; returns the events it completed. */
  write(chunk: string): JsonEvent[] {
    this.events = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.mode === 'string') {
        i = this.readString(chunk, i);
        continue;
      }
      const c = chunk[i]!;
      if (this.mode === 'number' || this.mode === 'literal') {
        if (this.mode === 'number' ? /[0-9eE+\-.]/.test(c) : /[a-z]/.test(c)) {
          this.token += c;
          i++;
          this.column++;
          continue;
        }
        this.finishScalar();
        continue; // re-read c in structural mode
      }
      i++;
      if (c === '\n') {
        this.line++;
        this.column = 0;
        continue;
      }
      this.column++;
      if (WHITESPACE.has(c)) continue;
      this.structural(c);
    }
    return this.events;
  }

  /** Signals the end of input; throws if the document is incomplete. */
  end(): JsonEvent[] {
    this.events = [];
    if (this.mode === 'number' || this.mode === 'literal') this.finishScalar();
    if (!this.started) this.fail('empty document');
    if (this.mode !== 'done') this.fail('unexpected end of file');
    return this.events;
  }

  private structural(c: string): void {
    const top = this.stack[this.stack.length - 1];
    if (this.mode === 'done') this.fail(`unexpected "${c}" after the end of the document`);
    if (top?.type === 'object' && !top.awaitingColon && this.mode === 'key') {
      if (c === '}' && !top.needComma && top.key === undefined) return this.close('object');
      if (top.needComma) {
        if (c === ',') {
          top.needComma = false;
          top.key = '';
          return;
        }
        if (c === '}') return this.close('object');
        return this.fail(`expected "," or "}" but found "${c}"`);
      }
      if (c === '"') {
        this.mode = 'string';
        this.stringIsKey = true;
        this.token = '';
        return;
      }
      return this.fail(`expected a member name in double quotes but found "${c}"`);
    }
    if (top?.type === 'object' && top.awaitingColon) {
      if (c !== ':') return this.fail(`expected ":" but found "${c}"`);
      top.awaitingColon = false;
      this.mode = 'value';
      return;
    }
    if (top?.type === 'array' && top.needComma) {
      if (c === ',') {
        top.needComma = false;
        top.index++;
        return;
      }
      if (c === ']') return this.close('array');
      return this.fail(`expected "," or "]" but found "${c}"`);
    }
    // A value is expected.
    if (c === ']' && top?.type === 'array' && top.index === 0 && !top.needComma && this.isEmptyArray(top)) {
      return this.close('array');
    }
    this.started = true;
    if (c === '{') {
      this.stack.push(this.frame('object'));
      this.mode = 'key';
      return;
    }
    if (c === '[') {
      this.stack.push(this.frame('array'));
      this.mode = 'value';
      return;
    }
    if (c === '"') {
      this.mode = 'string';
      this.stringIsKey = false;
      this.token = '';
      return;
    }
    if (/[-0-9]/.test(c)) {
      this.mode = 'number';
      this.token = c;
      return;
    }
    if (/[tfn]/.test(c)) {
      this.mode = 'literal';
      this.token = c;
      return;
    }
    this.fail(`unexpected "${c}" where a value is expected`);
  }

  private emptyArrays = new WeakSet<Frame>();

  private isEmptyArray(frame: Frame): boolean {
    return this.emptyArrays.has(frame);
  }

  private frame(type: 'object' | 'array'): Frame {
    const parent = this.stack[this.stack.length - 1];
    const streamed =
      type === 'array' && this.stack.length === 1 && parent?.type === 'object' && parent.key === 'mesures';
    const root = this.stack.length === 0;
    if (root && type !== 'object') this.fail('the document must be an object');
    const frame: Frame = {
      type,
      container: root || streamed ? undefined : type === 'object' ? {} : [],
      key: undefined,
      index: 0,
      needComma: false,
      awaitingColon: false,
      streamed,
    };
    if (type === 'array') this.emptyArrays.add(frame);
    return frame;
  }

  private close(type: 'object' | 'array'): void {
    const frame = this.stack.pop()!;
    if (frame.type !== type) this.fail(`unexpected "${type === 'object' ? '}' : ']'}"`);
    if (this.stack.length === 0) {
      if (frame.type !== 'object') this.fail('the document must be an object');
      this.mode = 'done';
      return;
    }
    this.complete(frame.container ?? null);
  }

  private complete(value: JsonValue): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.fail('the document must be an object');
      return;
    }
    if (top.type === 'array') {
      this.emptyArrays.delete(top);
      if (top.streamed) this.events.push({ kind: 'mesure', index: top.index, value });
      else (top.container as JsonValue[]).push(value);
      top.needComma = true;
      this.mode = 'value';
    } else {
      if (this.stack.length === 1) {
        if (top.key !== 'mesures') this.events.push({ kind: 'member', key: top.key!, value });
      } else (top.container as { [key: string]: JsonValue })[top.key!] = value;
      top.needComma = true;
      this.mode = 'key';
    }
  }

  private readString(chunk: string, start: number): number {
    let i = start;
    while (i < chunk.length) {
      if (this.escape !== undefined) {
        const c = chunk[i++]!;
        this.column++;
        if (this.escape === '') {
          if (c === 'u') this.escape = 'u';
          else if (ESCAPES[c] !== undefined) {
            this.token += ESCAPES[c];
            this.escape = undefined;
          } else this.fail(`invalid escape "\\${c}" in a string`);
        } else {
          if (!/[0-9a-fA-F]/.test(c)) this.fail('invalid \\u escape in a string');
          this.escape += c;
          if (this.escape.length === 5) {
            this.token += String.fromCharCode(parseInt(this.escape.slice(1), 16));
            this.escape = undefined;
          }
        }
        continue;
      }
      const quote = chunk.indexOf('"', i);
      const backslash = chunk.indexOf('\\', i);
      const stop = quote === -1 ? backslash : backslash === -1 ? quote : Math.min(quote, backslash);
      if (stop === -1) {
        this.checkRaw(chunk, i, chunk.length);
        this.token += chunk.slice(i);
        this.column += chunk.length - i;
        return chunk.length;
      }
      this.checkRaw(chunk, i, stop);
      this.token += chunk.slice(i, stop);
      this.column += stop - i + 1;
      i = stop + 1;
      if (stop === backslash) {
        this.escape = '';
        continue;
      }
      const text = this.token;
      this.token = '';
      if (this.stringIsKey) {
        const top = this.stack[this.stack.length - 1]!;
        top.key = text;
        top.awaitingColon = true;
        this.mode = 'value';
      } else this.complete(text);
      return i;
    }
    return i;
  }

  private checkRaw(chunk: string, from: number, to: number): void {
    const newline = chunk.indexOf('\n', from);
    if (newline !== -1 && newline < to) this.fail('unterminated string (line break inside)');
  }

  private finishScalar(): void {
    const token = this.token;
    this.token = '';
    if (this.mode === 'literal') {
      if (token === 'true') return this.complete(true);
      if (token === 'false') return this.complete(false);
      if (token === 'null') return this.complete(null);
      return this.fail(`invalid literal "${token}"`);
    }
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(token)) this.fail(`invalid number "${token}"`);
    this.complete(Number(token));
  }

  /** JSON path of the position being parsed, e.g. `$.mesures[3].grandeur[0].points[17].v`. */
  path(): string {
    let path = '$';
    for (const frame of this.stack) {
      if (frame.type === 'object') {
        if (frame.key) path += `.${frame.key}`;
      } else path += `[${frame.index}]`;
    }
    return path;
  }

  private fail(rule: string): never {
    throw new JsonSyntaxError(this.path(), this.line, this.column, rule);
  }
}
