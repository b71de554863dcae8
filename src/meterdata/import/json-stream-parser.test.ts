import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonStreamParser, JsonSyntaxError, type JsonEvent } from './json-stream-parser.js';

function parseInChunks(text: string, size: number): JsonEvent[] {
  const parser = new JsonStreamParser();
  const events: JsonEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.write(text.slice(i, i + size)));
  events.push(...parser.end());
  return events;
}

const DOC = {
  header: { codeFlux: 'R63A', idDemande: 'x\u00e9"\\/\n' },
  mesures: [
    {
      idPrm: '1',
      grandeur: [
        {
          points: [
            { v: '10', d: '2023-09-21 00:00:00', iv: null },
            { v: -1.5e2, ok: true, no: false },
          ],
        },
      ],
    },
    { idPrm: '2', grandeur: [], empty: {} },
  ],
  echeances: { type: 'filEau' },
};

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseInChunks(text, 3);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  assert.fail('no error');
}

describe('streaming JSON parser', () => {
  for (const size of [1, 2, 7, 1000]) {
    it(`emits each mesure and root member, in chunks of ${size}`, () => {
      const events = parseInChunks(JSON.stringify(DOC, null, 2), size);
      assert.deepEqual(events, [
        { kind: 'member', key: 'header', value: DOC.header },
        { kind: 'mesure', index: 0, value: DOC.mesures[0] },
        { kind: 'mesure', index: 1, value: DOC.mesures[1] },
        { kind: 'member', key: 'echeances', value: DOC.echeances },
      ]);
    });
  }

  it('handles an empty mesures array and unicode escapes', () => {
    assert.deepEqual(parseInChunks('{"mesures":[],"a":"\\u00e9"}', 2), [
      { kind: 'member', key: 'a', value: 'é' },
    ]);
  });

  it('names the JSON path, line and column of a syntax error', () => {
    const text =
      '{\n "mesures": [\n  {"idPrm": "1"},\n  {"grandeur": [{"points": [{"v": "1"}, {"v": 12x}]}]}\n ]\n}';
    const error = syntaxError(text);
    assert.equal(error.path, '$.mesures[1].grandeur[0].points[1].v');
    assert.equal(error.line, 4);
    assert.match(error.message, /expected "," or "}" but found "x"/);
  });

  it('refuses truncated documents, trailing garbage, missing commas and bad literals', () => {
    assert.match(syntaxError('{"mesures": [{"a": 1}').message, /unexpected end of file/);
    assert.match(syntaxError('{"a": 1} x').message, /after the end/);
    assert.match(syntaxError('{"a": 1 "b": 2}').message, /expected "," or "}"/);
    assert.match(syntaxError('{"a": nul}').message, /invalid literal/);
    assert.match(syntaxError('{"a": "x\ny"}').message, /unterminated string/);
    assert.match(syntaxError('[1]').message, /must be an object/);
    assert.match(syntaxError('').message, /empty document/);
  });
});
