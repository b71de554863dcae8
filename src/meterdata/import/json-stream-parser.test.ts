import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './import-limits.js';
import { JsonStreamParser, JsonSyntaxError, type JsonEvent, type JsonValue } from './json-stream-parser.js';

function parseInChunks(text: string, size: number, limits: Partial<ImportLimits> = {}): JsonEvent[] {
  const parser = new JsonStreamParser(limits);
  const events: JsonEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.write(text.slice(i, i + size)));
  events.push(...parser.end());
  return events;
}

/** `value` with every object given a null prototype, as the parser builds them. */
function nullPrototype(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(nullPrototype);
  if (typeof value !== 'object' || value === null) return value as JsonValue;
  const object = Object.create(null) as { [key: string]: JsonValue };
  for (const [key, member] of Object.entries(value)) object[key] = nullPrototype(member);
  return object;
}

const DOC = {
  header: { codeFlux: 'R63A', idDemande: 'x\u00e9"\\/\n\t\b\f\r\u0001 \ud83d\ude00' },
  mesures: [
    {
      idPrm: '1',
      grandeur: [
        {
          points: [
            { v: '10', d: '2023-09-21 00:00:00', iv: null },
            { v: -1.5e2, ok: true, no: false, n: [0, -0.25, 1e21, 12345678901234, 1.5e-7, []] },
          ],
        },
      ],
    },
    { idPrm: '2', grandeur: [], empty: {} },
  ],
  echeances: { type: 'filEau' },
};

function expectedEvents(doc: typeof DOC): JsonEvent[] {
  return [
    { kind: 'member', key: 'header', value: nullPrototype(doc.header) },
    { kind: 'mesure', index: 0, value: nullPrototype(doc.mesures[0]) },
    { kind: 'mesure', index: 1, value: nullPrototype(doc.mesures[1]) },
    { kind: 'member', key: 'echeances', value: nullPrototype(doc.echeances) },
  ];
}

function syntaxError(text: string, size = 3, limits: Partial<ImportLimits> = {}): JsonSyntaxError {
  try {
    parseInChunks(text, size, limits);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  assert.fail('no error');
}

/** The error thrown while feeding `chunks` one by one, and the index of the chunk that threw. */
function errorWhileFeeding(chunks: Iterable<string>, limits: Partial<ImportLimits> = {}) {
  const parser = new JsonStreamParser(limits);
  let index = 0;
  for (const chunk of chunks) {
    try {
      parser.write(chunk);
    } catch (error) {
      if (error instanceof JsonSyntaxError) return { error, index };
      throw error;
    }
    index++;
  }
  assert.fail('no error while feeding the chunks');
}

function* repeated(head: string, body: string, times: number): Generator<string> {
  yield head;
  for (let i = 0; i < times; i++) yield body;
}

describe('streaming JSON parser', () => {
  for (const size of [1, 2, 7, 1000]) {
    it(`emits each mesure and root member, in chunks of ${size}`, () => {
      assert.deepEqual(parseInChunks(JSON.stringify(DOC, null, 2), size), expectedEvents(DOC));
      assert.deepEqual(parseInChunks(JSON.stringify(DOC), size), expectedEvents(DOC));
    });
  }

  it('handles an empty mesures array and unicode escapes', () => {
    assert.deepEqual(parseInChunks('{"mesures":[],"a":"\\u00e9\\u00E9"}', 2), [
      { kind: 'member', key: 'a', value: 'éé' },
    ]);
  });

  it('names the JSON path, line and column of a syntax error', () => {
    const text =
      '{\n "mesures": [\n  {"idPrm": "1"},\n  {"grandeur": [{"points": [{"v": "1"}, {"v": 12x}]}]}\n ]\n}';
    const error = syntaxError(text);
    assert.equal(error.path, '$.mesures[1].grandeur[0].points[1].v');
    assert.equal(error.line, 4);
    assert.equal(error.column, 49);
    assert.match(error.message, /expected "," or "}" but found "x"/);
  });

  it('refuses truncated documents, trailing garbage, missing commas, bad literals and raw control characters', () => {
    assert.match(syntaxError('{"mesures": [{"a": 1}').message, /unexpected end of file/);
    assert.match(syntaxError('{"a": 1} x').message, /after the end/);
    assert.match(syntaxError('{"a": 1 "b": 2}').message, /expected "," or "}"/);
    assert.match(syntaxError('{"a": [1 }').message, /expected "," or "]" but found "}"/);
    assert.match(syntaxError('{"a": nul}').message, /invalid literal "nul"/);
    assert.match(syntaxError('{"a": 01}').message, /invalid number "01"/);
    assert.match(syntaxError('{"a": 1.}').message, /invalid number "1."/);
    assert.match(syntaxError('{"a": "x\ny"}').message, /unterminated string/);
    assert.match(syntaxError('{"a": "x\ty"}').message, /control character U\+0009 in a string/);
    assert.match(syntaxError('{"a": "\\x"}').message, /invalid escape "\\\\x"/);
    assert.match(syntaxError('{"a": "\\u12g4"}').message, /invalid \\u escape/);
    assert.match(syntaxError('{"a": 1,}').message, /expected a member name/);
    assert.match(syntaxError('{"a" 1}').message, /expected ":"/);
    assert.match(syntaxError('[1]').message, /must be an object/);
    assert.match(syntaxError('"a"').message, /must be an object/);
    assert.match(syntaxError('').message, /empty document/);
  });

  describe('null-prototype objects', () => {
    it('keeps __proto__, constructor and toString as plain members, changing no prototype', () => {
      const text =
        '{"mesures":[{"__proto__":{"idPrm":"30000000000001","polluted":"yes"},' +
        '"constructor":{"prototype":{"polluted":"yes"}},"toString":"t","grandeur":[]}]}';
      const [event] = parseInChunks(text, 5);
      const element = event!.value as { [key: string]: JsonValue };
      assert.equal(Object.getPrototypeOf(element), null);
      assert.deepEqual(Object.keys(element), ['__proto__', 'constructor', 'toString', 'grandeur']);
      assert.equal('idPrm' in element, false);
      assert.equal(element.idPrm, undefined);
      assert.equal(element.toString, 't');
      const proto = Object.getOwnPropertyDescriptor(element, '__proto__')!.value as object;
      assert.equal(Object.getPrototypeOf(proto), null);
      assert.deepEqual(proto, nullPrototype({ idPrm: '30000000000001', polluted: 'yes' }));
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    });
  });

  describe('duplicate keys', () => {
    it('refuses a duplicated idPrm in an element of mesures, naming it and its path', () => {
      const error = syntaxError('{"mesures":[{"idPrm":"1"},{"idPrm":"2","grandeur":[],"idPrm":"3"}]}');
      assert.equal(error.path, '$.mesures[1].idPrm');
      assert.equal(error.rule, 'duplicate key "idPrm"');
    });

    it('refuses a duplicated key at any depth and at the root', () => {
      assert.equal(syntaxError('{"header":{"codeFlux":"R63A","codeFlux":"R63B"}}').path, '$.header.codeFlux');
      assert.equal(
        syntaxError('{"mesures":[{"grandeur":[{"points":[{"d":"x","v":1,"d":"y"}]}]}]}').path,
        '$.mesures[0].grandeur[0].points[0].d',
      );
      assert.equal(syntaxError('{"mesures":[],"a":1,"mesures":[]}').rule, 'duplicate key "mesures"');
      assert.equal(syntaxError('{"a":{"__proto__":1,"__proto__":2}}').rule, 'duplicate key "__proto__"');
    });

    it('accepts the same key in different objects', () => {
      assert.equal(
        parseInChunks('{"mesures":[{"a":{"a":1}},{"a":2}],"a":{"a":[{"a":3},{"a":4}]}}', 4).length,
        3,
      );
    });
  });

  describe('limits', () => {
    it('refuses nesting deeper than the limit at once, with a short path', () => {
      const limit = DEFAULT_IMPORT_LIMITS.maxJsonDepth;
      // The root object and the array of "a" are two levels: limit - 2 more are accepted.
      const deepest = `{"a":[${'['.repeat(limit - 2)}${']'.repeat(limit - 2)}]}`;
      assert.equal(parseInChunks(deepest, 1000).length, 1);
      const { error, index } = errorWhileFeeding(repeated('{"mesures":', '['.repeat(1000), 2000));
      assert.equal(index, 1);
      assert.equal(error.rule, `nesting deeper than ${limit} levels`);
      assert.equal(error.path, `$.mesures${'[0]'.repeat(limit - 1)}`);
      assert.ok(error.message.length < 150, error.message);
    });

    it('refuses a long string while reading it, quoting only its start', () => {
      const max = DEFAULT_IMPORT_LIMITS.maxJsonStringLength;
      const { error, index } = errorWhileFeeding(repeated('{"header":{"idDemande":"', 'A'.repeat(100), 1e5));
      assert.equal(index, Math.ceil((max + 1) / 100));
      assert.equal(error.path, '$.header.idDemande');
      assert.equal(error.column, 24 + max + 1);
      assert.equal(error.rule, `string longer than ${max} characters, starting "${'A'.repeat(32)}…"`);
      assert.match(syntaxError(`{"a":"${'\\u0041'.repeat(max + 1)}"}`, 7).rule, /^string longer than/);
      assert.equal(parseInChunks(`{"a":"${'\\n'.repeat(max)}"}`, 7).length, 1);
      const key = syntaxError(`{"header":{"${'k'.repeat(max + 1)}":1}}`, 1000);
      assert.equal(key.path, '$.header');
      assert.match(key.rule, /^member name longer than/);
    });

    it('refuses a long number and a long run of letters without keeping them', () => {
      const max = DEFAULT_IMPORT_LIMITS.maxJsonNumberLength;
      assert.equal(parseInChunks(`{"a":${'9'.repeat(max)}}`, 5).length, 1);
      const number = errorWhileFeeding(repeated('{"a":1', '1'.repeat(10), 1e5));
      assert.equal(number.index, Math.ceil(max / 10));
      assert.equal(number.error.rule, `number longer than ${max} characters, starting "${'1'.repeat(32)}…"`);
      const literal = errorWhileFeeding(repeated('{"a":tru', 'e'.repeat(10), 1e5));
      assert.equal(literal.index, 1);
      assert.equal(literal.error.rule, 'invalid literal "trueee"');
    });

    it('bounds the values of one element of mesures and of another root member, naming the element', () => {
      const limits = { maxJsonElementValues: 10 };
      // Element, "1", grandeur, its object, points and 5 numbers: 10 values, in each element.
      const element = '{"idPrm":"1","grandeur":[{"points":[1,2,3,4,5]}]}';
      assert.equal(parseInChunks(`{"mesures":[${element},${element}]}`, 3, limits).length, 2);
      const tooLarge = syntaxError(`{"mesures":[${element},${element.replace('5]', '5,6]')}]}`, 3, limits);
      assert.equal(tooLarge.path, '$.mesures[1]');
      assert.equal(tooLarge.rule, 'element holds more than 10 values (arrays, objects and scalars)');
      assert.equal(syntaxError(`{"header":{"a":[1,2,3,4,5,6,7,8,9]}}`, 3, limits).path, '$.header');
    });

    it('refuses an element of mesures holding one huge array, with the default limit', () => {
      const max = DEFAULT_IMPORT_LIMITS.maxJsonElementValues;
      const { error } = errorWhileFeeding(
        repeated('{"mesures":[{"grandeur":[{"points":[0', ',0'.repeat(1e5), 100),
      );
      assert.equal(error.path, '$.mesures[0]');
      assert.equal(error.rule, `element holds more than ${max} values (arrays, objects and scalars)`);
    });

    it('bounds the text one element spans', () => {
      const limits = { maxJsonElementChars: 100 };
      const padded = `{"mesures":[${' '.repeat(500)}{"a":1},{"a":${' '.repeat(80)}1}]}`;
      assert.equal(parseInChunks(padded, 7, limits).length, 2);
      const error = syntaxError(`{"mesures":[{"a":1},{"a":${' '.repeat(100)}1}]}`, 7, limits);
      assert.equal(error.path, '$.mesures[1]');
      assert.equal(error.rule, 'element longer than 100 characters');
    });
  });

  describe('bounded messages', () => {
    it('quotes and cuts a member name in the path', () => {
      assert.equal(syntaxError('{"a.b":{"c d":[x]}}').path, '$["a.b"]["c d"][0]');
      const long = syntaxError(`{"header":{"${'k'.repeat(1000)}":{"x":tru}}}`, 100);
      assert.equal(long.path, `$.header["${'k'.repeat(32)}…"].x`);
    });

    it('quotes at most a few dozen characters of input', () => {
      const key = 'k'.repeat(500);
      assert.equal(syntaxError(`{"${key}":1,"${key}":2}`, 100).rule, `duplicate key "${'k'.repeat(32)}…"`);
      assert.equal(syntaxError('{"a":falsetruenull}').rule, 'invalid literal "falset"');
    });
  });
});
