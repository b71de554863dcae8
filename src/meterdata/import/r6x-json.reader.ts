import type { Category } from '../../domain/identifiers.js';
import type { ImportLimits } from './import-limits.js';
import { JsonStreamParser, JsonSyntaxError, type JsonValue } from './json-stream-parser.js';
import type { CurvePointInput, MeasurementSink } from './measurement-sink.js';

/**
 * R63 and R64 JSON (guide §3.1 and §4.1, official schemas 0532/0533), read element by element of
 * `mesures` with the streaming parser. Errors name the JSON path, e.g.
 * `$.mesures[3].grandeur[0].points[17].v`.
 */
type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Scalar = string | number | boolean | null | undefined;

const scalar = (value: JsonValue | undefined): Scalar =>
  typeof value === 'object' && value !== null ? JSON.stringify(value) : value;

const GRIDS: Record<string, string> = { Distributeur: 'D', Fournisseur: 'F', D: 'D', F: 'F' };

export async function readR6xJson(
  chunks: AsyncIterable<string>,
  sink: MeasurementSink,
  limits: Partial<ImportLimits> = {},
): Promise<'R63' | 'R64'> {
  const parser = new JsonStreamParser(limits);
  let kind: 'R63' | 'R64' | undefined;
  let sawHeader = false;
  let sawMesures = false;
  const handle = async (events: ReturnType<JsonStreamParser['write']>) => {
    for (const event of events) {
      if (event.kind === 'member') {
        if (event.key === 'header') {
          // What the header says (recipient, category) applies to every measurement of the file.
          if (sawMesures) sink.rejectNow('$.header', 'header must come before mesures');
          sawHeader = true;
          const header = isObject(event.value) ? event.value : {};
          await sink.addressedTo(scalar(header.idDestinataire), '$.header.idDestinataire');
          const codeFlux = header.codeFlux;
          const match = typeof codeFlux === 'string' ? /^(R63|R64)([AB])$/.exec(codeFlux) : null;
          if (!match) {
            sink.error(
              '$.header.codeFlux',
              `codeFlux "${String(scalar(codeFlux) ?? '')}" is not R63A, R63B, R64A or R64B`,
            );
            continue;
          }
          kind = match[1] as 'R63' | 'R64';
          sink.expectedCategory = match[2] as Category;
        } else if (event.key === 'echeances' && isObject(event.value)) {
          const start = event.value.horodateDebutPublication;
          if (start !== undefined)
            sink.headerTimestamp(scalar(start), '$.echeances.horodateDebutPublication');
        }
        continue;
      }
      if (!sawHeader) sink.rejectNow('$.mesures', 'header must come before mesures');
      sawMesures = true;
      const base = `$.mesures[${event.index}]`;
      const m = event.value;
      if (!isObject(m)) {
        sink.error(base, 'each element of mesures must be an object');
        continue;
      }
      const elementKind = 'grandeur' in m ? 'R63' : 'contexte' in m ? 'R64' : undefined;
      if (!elementKind) {
        sink.error(base, 'has neither "grandeur" (R63) nor "contexte" (R64)');
        continue;
      }
      if (kind && elementKind !== kind) {
        sink.error(base, `an ${elementKind} element in an ${kind} file`);
        continue;
      }
      kind = elementKind;
      sink.collectionWindow(periodeOf(m, base, sink), (field) => `${base}.periode.${field}`);
      if (elementKind === 'R63') await readR63Element(m, base, sink);
      else await readR64Element(m, base, sink);
    }
  };
  try {
    for await (const chunk of chunks) await handle(parser.write(chunk));
    await handle(parser.end());
  } catch (error) {
    if (error instanceof JsonSyntaxError)
      sink.rejectNow(
        `${error.path} (line ${error.line}, column ${error.column})`,
        `malformed JSON: ${error.rule}`,
      );
    throw error;
  }
  if (!sawMesures) sink.rejectNow('$.mesures', 'required array is missing');
  return kind ?? 'R63';
}

/** An element's collection window (guide §3.3, §4.3: R63 and R64 alike), or undefined after reporting. */
function periodeOf(
  m: JsonObject,
  base: string,
  sink: MeasurementSink,
): { dateDebut: Scalar; dateFin: Scalar } | undefined {
  const periode = m.periode;
  if (periode === undefined) {
    sink.error(`${base}.periode`, 'required: the collection window {dateDebut, dateFin}');
    return undefined;
  }
  if (!isObject(periode)) {
    sink.error(`${base}.periode`, 'must be an object {dateDebut, dateFin}');
    return undefined;
  }
  return { dateDebut: scalar(periode.dateDebut), dateFin: scalar(periode.dateFin) };
}

function array(value: JsonValue | undefined, path: string, sink: MeasurementSink): JsonValue[] | undefined {
  if (Array.isArray(value)) return value;
  sink.error(path, 'must be an array');
  return undefined;
}

async function readR63Element(m: JsonObject, base: string, sink: MeasurementSink): Promise<void> {
  const grandeurs = array(m.grandeur, `${base}.grandeur`, sink);
  if (!grandeurs) return;
  for (const [gi, g] of grandeurs.entries()) {
    const gPath = `${base}.grandeur[${gi}]`;
    if (!isObject(g)) {
      sink.error(gPath, 'must be an object');
      continue;
    }
    const points = array(g.points, `${gPath}.points`, sink);
    if (!points) continue;
    for (const [pi, point] of points.entries()) {
      const pPath = `${gPath}.points[${pi}]`;
      if (!isObject(point)) {
        sink.error(pPath, 'must be an object');
        continue;
      }
      const where = (field: string) =>
        field === 'idPrm' || field === 'etapeMetier'
          ? `${base}.${field}`
          : field === 'grandeurMetier' || field === 'grandeurPhysique' || field === 'unite'
            ? `${gPath}.${field}`
            : `${pPath}.${field}`;
      const input: CurvePointInput = {
        prm: scalar(m.idPrm),
        stage: scalar(m.etapeMetier),
        grandeurMetier: scalar(g.grandeurMetier),
        quantity: scalar(g.grandeurPhysique),
        unit: scalar(g.unite),
        timestamp: scalar(point.d),
        value: scalar(point.v),
        nature: scalar(point.n),
        step: scalar(point.p),
        tc: scalar(point.tc),
        iv: scalar(point.iv),
        ec: scalar(point.ec),
      };
      if (!sink.addCurvePoint(input, where)) await sink.curvePoint(input, where);
    }
  }
}

async function readR64Element(m: JsonObject, base: string, sink: MeasurementSink): Promise<void> {
  const contextes = array(m.contexte, `${base}.contexte`, sink);
  if (!contextes) return;
  for (const [ci, c] of contextes.entries()) {
    const cPath = `${base}.contexte[${ci}]`;
    if (!isObject(c)) {
      sink.error(cPath, 'must be an object');
      continue;
    }
    const grandeurs = array(c.grandeur, `${cPath}.grandeur`, sink);
    if (!grandeurs) continue;
    for (const [gi, g] of grandeurs.entries()) {
      const gPath = `${cPath}.grandeur[${gi}]`;
      if (!isObject(g)) {
        sink.error(gPath, 'must be an object');
        continue;
      }
      const readValues = async (
        valeurs: JsonValue | undefined,
        vPath: string,
        register: {
          grid: string | undefined;
          calendarId: JsonValue | undefined;
          timeClass: JsonValue | undefined;
          path: string;
        },
      ) => {
        const list = array(valeurs, vPath, sink);
        if (!list) return;
        for (const [vi, v] of list.entries()) {
          const path = `${vPath}[${vi}]`;
          if (!isObject(v)) {
            sink.error(path, 'must be an object');
            continue;
          }
          const where = (field: string) =>
            field === 'idPrm'
              ? `${base}.idPrm`
              : field === 'etapeMetier'
                ? `${cPath}.etapeMetier`
                : field === 'grandeurMetier' || field === 'grandeurPhysique' || field === 'unite'
                  ? `${gPath}.${field}`
                  : field === 'grille' || field === 'idCalendrier' || field === 'idClasseTemporelle'
                    ? `${register.path}.${field === 'grille' ? 'libelleGrille' : field}`
                    : `${path}.${field}`;
          await sink.indexReading(
            {
              prm: scalar(m.idPrm),
              stage: scalar(c.etapeMetier),
              grandeurMetier: scalar(g.grandeurMetier),
              grandeurPhysique: scalar(g.grandeurPhysique),
              unit: scalar(g.unite),
              timestamp: scalar(v.d),
              grid: register.grid,
              calendarId: scalar(register.calendarId),
              timeClass: scalar(register.timeClass),
              value: scalar(v.v),
              iv: scalar(v.iv),
            },
            where,
          );
        }
      };
      if (g.calendrier !== undefined) {
        const calendars = array(g.calendrier, `${gPath}.calendrier`, sink) ?? [];
        for (const [ki, k] of calendars.entries()) {
          const kPath = `${gPath}.calendrier[${ki}]`;
          if (!isObject(k)) {
            sink.error(kPath, 'must be an object');
            continue;
          }
          const grid = typeof k.libelleGrille === 'string' ? GRIDS[k.libelleGrille] : undefined;
          if (!grid) {
            sink.error(
              `${kPath}.libelleGrille`,
              `libelleGrille "${String(scalar(k.libelleGrille) ?? '')}" is not Distributeur or Fournisseur`,
            );
            continue;
          }
          const classes = array(k.classeTemporelle, `${kPath}.classeTemporelle`, sink) ?? [];
          for (const [ti, t] of classes.entries()) {
            const tPath = `${kPath}.classeTemporelle[${ti}]`;
            if (!isObject(t)) {
              sink.error(tPath, 'must be an object');
              continue;
            }
            await readValues(t.valeur, `${tPath}.valeur`, {
              grid,
              calendarId: k.idCalendrier,
              timeClass: t.idClasseTemporelle,
              path: tPath,
            });
          }
        }
      }
      if (g.cadranTotalisateur !== undefined) {
        const total = g.cadranTotalisateur;
        const tPath = `${gPath}.cadranTotalisateur`;
        if (!isObject(total)) sink.error(tPath, 'must be an object');
        else
          await readValues(total.valeur, `${tPath}.valeur`, {
            grid: 'T',
            calendarId: undefined,
            timeClass: undefined,
            path: tPath,
          });
      }
    }
  }
}
