import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BENCH_STAGES } from '../../src/bench/bench-stages.js';
import { cliEnv, runCli } from '../support/cli.js';

describe('bench command', () => {
  it('prints one JSON object per stage with the comparable fields', async () => {
    const result = await runCli(['bench', '--json', '--points', '20000', '--engine', 'sqlite'], cliEnv());
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => l.name),
      BENCH_STAGES.map((s) => s.name),
    );
    for (const line of lines) {
      assert.equal(line.engine, 'sqlite');
      assert.ok(
        (line.points as number) >= 19_000,
        `${String(line.name)} processed ${String(line.points)} points`,
      );
      for (const field of ['seconds', 'points_per_s', 'peak_rss_mb'])
        assert.equal(typeof line[field], 'number');
    }
    assert.ok(lines.some((l) => typeof l.reference === 'object'));
  });
});
