import type { CurvePointInput, IndexReadingInput, MeasurementSink } from './measurement-sink.js';
import { textLines } from './text-lines.js';
import { R63_CSV_COLUMNS, R64_CSV_COLUMNS } from '../../domain/r6x-csv-columns.js';

/*
 * R63 and R64 CSV (guide §3.2 and §4.2): one header line of column labels, then one line per point
 * or reading, `;`-separated, `null` for an empty value. Columns are found by their label (accents and
 * case ignored), so the R64 layout with or without the "Etape métier" column of the guide's example
 * is read alike.
 */

/** Optional columns: R64 without "Etape métier" (as in the guide's column list). */
const OPTIONAL = new Set(['etape metier']);

function normalise(label: string): string {
  return label
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\.$/, '')
    .trim();
}

const FIELD_COLUMN: Record<string, string> = {
  idPrm: 'Identifiant PRM',
  grandeurPhysique: 'Grandeur physique',
  grandeurMetier: 'Grandeur métier',
  etapeMetier: 'Etape métier',
  unite: 'Unité',
  d: 'Horodate',
  v: 'Valeur',
  n: 'Nature',
  p: 'Pas',
  tc: 'Type de complétion',
  iv: 'Indice de vraisemblance',
  ec: 'Etat complémentaire',
  grille: 'Grille',
  idCalendrier: 'Identifiant calendrier',
  idClasseTemporelle: 'Identifiant classe temporelle',
};

/** Reads a CSV R63 or R64 file into the sink; returns which flux it was. */
export async function readR6xCsv(
  chunks: AsyncIterable<string>,
  sink: MeasurementSink,
): Promise<'R63' | 'R64'> {
  let kind: 'R63' | 'R64' | undefined;
  let column: Record<string, number> = {};
  let width = 0;
  let lineNumber = 0;
  // One location function for every line: the sink reads it synchronously when it reports.
  const where = (field: string) => `line ${lineNumber} (${FIELD_COLUMN[field] ?? field})`;
  let fields: string[] = [];
  let tcColumn: number | undefined;
  let r63 = {
    prm: -1,
    quantity: -1,
    grandeurMetier: -1,
    stage: -1,
    unit: -1,
    timestamp: -1,
    value: -1,
    nature: -1,
    step: -1,
    iv: -1,
    ec: -1,
  };
  const at = (label: string) => {
    const i = column[label];
    return i === undefined ? undefined : fields[i];
  };
  // One point object reused for every line (the sink copies what it keeps).
  const point: CurvePointInput = {
    prm: undefined,
    quantity: undefined,
    grandeurMetier: undefined,
    stage: undefined,
    unit: undefined,
    timestamp: undefined,
    value: undefined,
    nature: undefined,
    step: undefined,
    tc: undefined,
    iv: undefined,
    ec: undefined,
  };
  for await (const lines of textLines(chunks)) {
    for (const line of lines) {
      lineNumber++;
      if (kind === undefined) {
        const labels = line.split(';').map(normalise);
        kind = labels.includes('nature') ? 'R63' : labels.includes('contexte de releve') ? 'R64' : undefined;
        if (!kind)
          sink.rejectNow('line 1', 'not an R63 or R64 CSV header (expected the column labels of the guide)');
        const expected = (kind === 'R63' ? R63_CSV_COLUMNS : R64_CSV_COLUMNS).map(normalise);
        const missing = expected.filter((l) => !OPTIONAL.has(l) && !labels.includes(l));
        const unknown = labels.filter((l) => !expected.includes(l) && l !== 'type de completion');
        if (missing.length > 0 || unknown.length > 0) {
          sink.rejectNow(
            'line 1',
            `${kind} CSV header ${missing.length ? `lacks ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `has unknown column(s) ${unknown.join(', ')}` : ''}`,
          );
        }
        column = Object.fromEntries(labels.map((l, i) => [l, i]));
        tcColumn = column['type de completion'];
        r63 = {
          prm: column['identifiant prm'] ?? -1,
          quantity: column['grandeur physique'] ?? -1,
          grandeurMetier: column['grandeur metier'] ?? -1,
          stage: column['etape metier'] ?? -1,
          unit: column['unite'] ?? -1,
          timestamp: column['horodate'] ?? -1,
          value: column['valeur'] ?? -1,
          nature: column['nature'] ?? -1,
          step: column['pas'] ?? -1,
          iv: column['indice de vraisemblance'] ?? -1,
          ec: column['etat complementaire'] ?? -1,
        };
        width = labels.length;
        continue;
      }
      if (line.length === 0) continue;
      const f = line.split(';');
      if (f.length !== width) {
        sink.error(`line ${lineNumber}`, `expected ${width} fields separated by ";" but found ${f.length}`);
        continue;
      }
      fields = f;
      if (kind === 'R63') {
        point.prm = f[r63.prm];
        point.quantity = f[r63.quantity];
        point.grandeurMetier = f[r63.grandeurMetier];
        point.stage = f[r63.stage];
        point.unit = f[r63.unit];
        point.timestamp = f[r63.timestamp];
        point.value = f[r63.value];
        point.nature = f[r63.nature];
        point.step = f[r63.step];
        point.tc = tcColumn === undefined ? undefined : f[tcColumn];
        point.iv = f[r63.iv];
        point.ec = f[r63.ec];
        if (!sink.addCurvePoint(point, where)) await sink.curvePoint(point, where);
      } else {
        const reading: IndexReadingInput = {
          prm: at('identifiant prm'),
          stage: at('etape metier'),
          grandeurPhysique: at('grandeur physique'),
          grandeurMetier: at('grandeur metier'),
          unit: at('unite'),
          timestamp: at('horodate'),
          grid: at('grille'),
          calendarId: at('identifiant calendrier'),
          timeClass: at('identifiant classe temporelle'),
          value: at('valeur'),
          iv: at('indice de vraisemblance'),
        };
        await sink.indexReading(reading, where);
      }
    }
  }
  if (!kind) sink.rejectNow('line 1', 'empty file');
  return kind;
}
