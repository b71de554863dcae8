import { luhnValid } from '../domain/identifiers.js';
import { REGISTRY_COLUMNS } from '../registry/registry-csv.js';
import { importRegistryCsv } from '../registry/registry-import.js';
import type { BenchStage } from './bench-stage.js';

/** A distributor's registry: lines of the timed import (fewer when fewer points are asked). */
const REGISTRY_LINES = 140_000;
/** The target: such a registry in under 20 s. */
const TARGET_LINES_PER_S = REGISTRY_LINES / 20;

/** The `n`-th valid SIREN of the bench series (8 digits from `n`, then the Luhn check digit). */
function siren(n: number): string {
  const body = `8${String(n).padStart(7, '0')}`;
  for (let check = 0; check < 10; check++) if (luhnValid(`${body}${check}`)) return `${body}${check}`;
  throw new Error(`no check digit for ${body}`);
}

/**
 * Registry lines: entreprises of 1 to 8 SIRENs, 10 PRMs per SIREN, one PRM in five of category A, curve
 * collection on every other category B PRM.
 */
function registryText(lines: number): string {
  const out = [REGISTRY_COLUMNS.join(';')];
  let sirens = 0;
  for (let e = 0; out.length <= lines; e++) {
    for (let s = 0; s < 1 + (e % 8) && out.length <= lines; s++) {
      const sirenId = siren(++sirens);
      for (let p = 0; p < 10 && out.length <= lines; p++) {
        const n = out.length;
        const prm = String(70_000_000_000_000 + n);
        const a = n % 5 === 0;
        out.push(
          `Registre ${e};${sirenId};${prm};${a ? 'C4' : 'C5'};${a ? 250 : 9};CTR-${n};${a ? 'PT5M' : ''};` +
            `Site ${n};2023-01-01;;;;${!a && n % 2 === 1 ? '2024-06-01' : ''}`,
        );
      }
    }
  }
  return out.join('\n') + '\n';
}

/**
 * Imports a 140 000-line registry (or `--points` lines, when fewer) into the bench's database; its lines
 * are the stage's points.
 */
export const importRegistryStage: BenchStage = {
  name: 'import-registry',
  async run(context) {
    const lines = Math.min(REGISTRY_LINES, context.points);
    const text = registryText(lines);
    const start = performance.now();
    await importRegistryCsv(context.handle.db, text, {
      source: 'bench-registry.csv',
      now: new Date('2026-01-01T00:00:00Z'),
      actor: { type: 'system', id: null, label: 'bench' },
    });
    return {
      points: lines,
      seconds: (performance.now() - start) / 1000,
      reference: { kind: 'target', name: '140 000 lines in 20 s', points_per_s: TARGET_LINES_PER_S },
    };
  },
};
