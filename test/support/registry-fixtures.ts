import type { Db } from '../../src/db/database.js';
import { luhnValid } from '../../src/domain/identifiers.js';
import { REGISTRY_COLUMNS } from '../../src/registry/registry-csv.js';
import { importRegistryCsv, type RegistryImportResult } from '../../src/registry/registry-import.js';

export interface RegistryRow {
  entreprise?: string;
  siren?: string;
  prm: string;
  segment?: string;
  kva?: string;
  contract?: string;
  step?: string;
  label?: string;
  start?: string;
  end?: string;
  calendar?: string;
  supplierCalendar?: string;
  collection?: string;
}

/** One registry CSV line with sensible defaults (a C5 PRM of SIREN 356000000 from 2024-01-01). */
export function registryLine(row: RegistryRow): string {
  const segment = row.segment ?? 'C5';
  return [
    row.entreprise ?? 'Entreprise Test',
    row.siren ?? '356000000',
    row.prm,
    segment,
    row.kva ?? (segment === 'C5' ? '12' : '250'),
    row.contract ?? `CTR-${row.prm.slice(-6)}`,
    row.step ?? '',
    row.label ?? `Site ${row.prm.slice(-4)}`,
    row.start ?? '2024-01-01',
    row.end ?? '',
    row.calendar ?? '',
    row.supplierCalendar ?? '',
    row.collection ?? '',
  ].join(';');
}

export function registryCsv(rows: Array<RegistryRow | string>): string {
  return (
    [REGISTRY_COLUMNS.join(';'), ...rows.map((r) => (typeof r === 'string' ? r : registryLine(r)))].join(
      '\n',
    ) + '\n'
  );
}

export function prmNumber(n: number, prefix = '999'): string {
  return `${prefix}${String(n).padStart(14 - prefix.length, '0')}`;
}

/** The `n`-th valid SIREN of a series: 8 digits from `n` plus the Luhn check digit. */
export function sirenNumber(n: number, prefix = '7'): string {
  const body = `${prefix}${String(n).padStart(8 - prefix.length, '0')}`;
  for (let check = 0; check < 10; check++) {
    if (luhnValid(`${body}${check}`)) return `${body}${check}`;
  }
  throw new Error(`no check digit for ${body}`);
}

/**
 * A distributor-sized registry of `lines` data lines: entreprises of 1 to 8 SIRENs, 10 PRMs per SIREN,
 * one PRM in five of category A (C4), the others C5 with curve collection on every other one, and one
 * PRM in twenty-five moved to the next SIREN on 2025-01-01 (two lines: the ended and the new attachment).
 */
export function distributorRegistryCsv(
  lines: number,
  options: { prefix?: string; sirenPrefix?: string; entreprisePrefix?: string } = {},
): string {
  const rows: RegistryRow[] = [];
  let prmIndex = 0;
  let sirenIndex = 0;
  for (let entrepriseIndex = 0; rows.length < lines; entrepriseIndex++) {
    const entreprise = `${options.entreprisePrefix ?? 'Entreprise'} ${String(entrepriseIndex).padStart(5, '0')}`;
    const sirens = Array.from({ length: 1 + (entrepriseIndex % 8) }, () =>
      sirenNumber(++sirenIndex, options.sirenPrefix),
    );
    for (let s = 0; s < sirens.length && rows.length < lines; s++) {
      for (let p = 0; p < 10 && rows.length < lines; p++) {
        const prm = prmNumber(++prmIndex, options.prefix ?? '301');
        const categoryA = prmIndex % 5 === 0;
        const row: RegistryRow = {
          entreprise,
          siren: sirens[s]!,
          prm,
          segment: categoryA ? 'C4' : 'C5',
          kva: categoryA ? String(120 + (prmIndex % 7) * 30) : String(6 + (prmIndex % 4) * 3),
          step: categoryA ? 'PT5M' : '',
          start: '2023-01-01',
          supplierCalendar: prmIndex % 3 === 0 ? 'FC000049' : '',
          collection: !categoryA && prmIndex % 2 === 1 ? '2024-06-01' : '',
        };
        const next = sirens[s + 1];
        if (prmIndex % 25 === 0 && next !== undefined && rows.length + 1 < lines) {
          rows.push({ ...row, end: '2025-01-01' }, { ...row, siren: next, start: '2025-01-01' });
        } else {
          rows.push(row);
        }
      }
    }
  }
  return registryCsv(rows);
}

/** Seeds an entreprise with `prms` C5 meters (or C4 when category A) on one SIREN through the real import. */
export async function seedEntreprise(
  db: Db,
  options: { name?: string; siren?: string; prms: number; category?: 'A' | 'B'; prefix?: string; now?: Date },
): Promise<RegistryImportResult> {
  const rows: RegistryRow[] = [];
  for (let i = 1; i <= options.prms; i++) {
    rows.push({
      entreprise: options.name ?? 'Entreprise Test',
      siren: options.siren ?? '356000000',
      prm: prmNumber(i, options.prefix),
      segment: options.category === 'A' ? 'C4' : 'C5',
    });
  }
  return importRegistryCsv(db, registryCsv(rows), {
    source: 'fixture.csv',
    now: options.now ?? new Date('2026-01-01T00:00:00Z'),
    actor: { type: 'system', id: null, label: 'test' },
  });
}
