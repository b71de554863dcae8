import type { Verdict } from './fuzz-oracle.js';
import type { TargetName } from './fuzz-targets.js';

/** One judged case: its answers per target and what broke the oracle. */
export interface CaseRecord {
  number: number;
  /** Mutation kinds, `control` for an unmutated published file. */
  kinds: string[];
  description: string;
  mustReject?: string;
  verdicts: Partial<Record<TargetName, Verdict>>;
  /** Milliseconds each target took to answer. */
  ms: Partial<Record<TargetName, number>>;
  /** Violations of the case as a whole (crash, memory, pollution, targets that disagree). */
  violations: string[];
}

export interface Violation {
  number: number;
  target: TargetName | 'case';
  kinds: string[];
  description: string;
  violation: string;
}

/** Tallies of a run and its printed table. */
export class FuzzReport {
  private readonly records: CaseRecord[] = [];

  constructor(
    private readonly title: string,
    private readonly seed: number,
  ) {}

  add(record: CaseRecord): void {
    this.records.push(record);
  }

  violations(): Violation[] {
    const out: Violation[] = [];
    for (const r of this.records) {
      for (const [target, verdict] of Object.entries(r.verdicts) as Array<[TargetName, Verdict]>) {
        for (const violation of verdict.violations)
          out.push({ number: r.number, target, kinds: r.kinds, description: r.description, violation });
      }
      for (const violation of r.violations)
        out.push({ number: r.number, target: 'case', kinds: r.kinds, description: r.description, violation });
    }
    return out;
  }

  /** The outcome table: per target, per refusal code, per mutation kind; then every violation. */
  render(seconds: number, peakRssMb: number): string {
    const lines: string[] = [];
    const fuzz = this.records.filter((r) => !r.kinds.includes('control'));
    const controls = this.records.length - fuzz.length;
    lines.push(
      `${this.title}: seed ${this.seed}, ${fuzz.length} case(s) + ${controls} control(s) in ${seconds.toFixed(1)} s, peak RSS ${peakRssMb} MB`,
    );
    const targets = new Map<string, { imported: number; rejected: number; broken: number; ms: number }>();
    const codes = new Map<string, number>();
    for (const r of this.records) {
      for (const [target, v] of Object.entries(r.verdicts) as Array<[string, Verdict]>) {
        const t = targets.get(target) ?? { imported: 0, rejected: 0, broken: 0, ms: 0 };
        t[v.outcome]++;
        t.ms += r.ms[target as TargetName] ?? 0;
        targets.set(target, t);
        if (v.outcome === 'rejected') codes.set(v.code ?? '?', (codes.get(v.code ?? '?') ?? 0) + 1);
      }
    }
    lines.push(row(['target', 'imported', 'refused', 'broken', 'ms/answer']));
    for (const [target, t] of [...targets].sort())
      lines.push(
        row([
          target,
          t.imported,
          t.rejected,
          t.broken,
          Math.round(t.ms / (t.imported + t.rejected + t.broken)),
        ]),
      );
    lines.push(
      `refused by code: ${[...codes]
        .sort((a, b) => b[1] - a[1])
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`,
    );
    const kinds = new Map<
      string,
      { cases: number; imported: number; rejected: number; broken: number; violating: number; ms: number }
    >();
    for (const r of this.records) {
      const violating =
        r.violations.length > 0 || Object.values(r.verdicts).some((v) => v.violations.length > 0);
      for (const kind of new Set(r.kinds)) {
        const k = kinds.get(kind) ?? { cases: 0, imported: 0, rejected: 0, broken: 0, violating: 0, ms: 0 };
        k.cases++;
        k.ms += Object.values(r.ms).reduce((a, b) => a + b, 0);
        // The API's answer stands for the case (the CLI is judged against it separately).
        const v = r.verdicts.api ?? r.verdicts['api-http'];
        if (v) k[v.outcome]++;
        if (violating) k.violating++;
        kinds.set(kind, k);
      }
    }
    lines.push(row(['mutation', 'cases', 'imported', 'refused', 'broken', 'violating', 'ms/case']));
    for (const [kind, k] of [...kinds].sort())
      lines.push(
        row([kind, k.cases, k.imported, k.rejected, k.broken, k.violating, Math.round(k.ms / k.cases)]),
      );
    const slowest = [...this.records]
      .map((r) => ({ r, ms: Object.values(r.ms).reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5);
    lines.push(
      `slowest: ${slowest
        .map(
          ({ r }) =>
            `case ${r.number} (${r.kinds.join('+')}: ${Object.entries(r.ms)
              .map(([t, ms]) => `${t} ${ms} ms`)
              .join(', ')})`,
        )
        .join('; ')}`,
    );
    const violations = this.violations();
    const cases = new Set(violations.map((v) => v.number));
    lines.push(`violations: ${violations.length} in ${cases.size} case(s)`);
    // The same symptom (numbers aside) once, with its count, its mutation kinds and a first example.
    const symptoms = new Map<string, { count: number; kinds: Set<string>; first: Violation }>();
    for (const v of violations) {
      const symptom = v.violation.replace(/\d+/g, 'N').slice(0, 110);
      const s = symptoms.get(symptom) ?? { count: 0, kinds: new Set<string>(), first: v };
      s.count++;
      for (const kind of v.kinds) s.kinds.add(kind);
      symptoms.set(symptom, s);
    }
    for (const [symptom, s] of [...symptoms].sort((a, b) => b[1].count - a[1].count))
      lines.push(
        `  ${String(s.count).padStart(4)} × ${symptom}\n         kinds: ${[...s.kinds].sort().join(', ')}; first: case ${s.first.number} [${s.first.target}]`,
      );
    lines.push('each violation:');
    for (const v of violations)
      lines.push(
        `  seed ${this.seed} case ${v.number} [${v.target}] ${v.description}\n      → ${v.violation}`,
      );
    if (cases.size > 0)
      lines.push(
        `replay: PUBLIWATT_FUZZ_SEED=${this.seed} PUBLIWATT_FUZZ_ONLY=${[...cases].slice(0, 20).join(',')} npm test -- test/fuzz`,
      );
    return lines.join('\n');
  }
}

function row(cells: Array<string | number>): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(16) : String(c).padStart(9))).join(' ');
}
