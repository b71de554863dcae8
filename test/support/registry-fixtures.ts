import type { Db } from '../../src/db/database.js';
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
