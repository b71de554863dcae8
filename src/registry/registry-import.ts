import { AppError } from '../domain/app-error.js';
import { AuditRepository, type AuditActor } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';
import { parseRegistryCsv, type LineError, type RegistryLine } from './registry-csv.js';

export interface RegistryImportResult {
  entreprisesCreated: number;
  sirensCreated: number;
  prmsCreated: number;
  prmsUpdated: number;
  attachmentsCreated: number;
  attachmentsUpdated: number;
  collectionPeriodsCreated: number;
  linesUnchanged: number;
}

/** Rejection of a whole registry file, with every offending line. */
export class RegistryImportRejected extends AppError {
  constructor(
    readonly source: string,
    readonly lineErrors: LineError[],
  ) {
    const shown = lineErrors.map((e) => `${source}:${e.line}: ${e.reason}`).join('\n');
    super(
      'REGISTRY_IMPORT_REJECTED',
      `${source}: ${lineErrors.length} line(s) rejected, nothing imported\n${shown}`,
      {
        source,
        count: lineErrors.length,
      },
    );
  }
}

function samePrm(a: PrmRecord, b: PrmRecord): boolean {
  return (
    a.segment === b.segment &&
    a.kva === b.kva &&
    a.step === b.step &&
    a.contractNumber === b.contractNumber &&
    a.label === b.label &&
    a.distributorCalendar === b.distributorCalendar &&
    a.supplierCalendar === b.supplierCalendar
  );
}

function overlaps(aStart: string, aEnd: string | null, bStart: string, bEnd: string | null): boolean {
  return (bEnd === null || aStart < bEnd) && (aEnd === null || bStart < aEnd);
}

/** Checks that need the whole file: one description per PRM, one entreprise per SIREN, no overlap. */
function crossLineErrors(lines: RegistryLine[]): LineError[] {
  const errors: LineError[] = [];
  const prmFirst = new Map<string, RegistryLine>();
  const sirenOwner = new Map<string, RegistryLine>();
  const attachments = new Map<string, RegistryLine[]>();
  for (const line of lines) {
    const first = prmFirst.get(line.prm.prm);
    if (first && !samePrm(first.prm, line.prm)) {
      errors.push({
        line: line.line,
        reason: `PRM ${line.prm.prm} is described differently on line ${first.line}`,
      });
    } else if (!first) prmFirst.set(line.prm.prm, line);
    const owner = sirenOwner.get(line.siren);
    if (owner && owner.entreprise !== line.entreprise) {
      errors.push({
        line: line.line,
        reason: `SIREN ${line.siren} belongs to entreprise "${owner.entreprise}" on line ${owner.line}`,
      });
    } else if (!owner) sirenOwner.set(line.siren, line);
    const others = attachments.get(line.prm.prm) ?? [];
    for (const other of others) {
      if (overlaps(line.attachmentStart, line.attachmentEnd, other.attachmentStart, other.attachmentEnd)) {
        errors.push({
          line: line.line,
          reason: `attachment of PRM ${line.prm.prm} overlaps the one on line ${other.line}`,
        });
      }
    }
    attachments.set(line.prm.prm, [...others, line]);
  }
  return errors;
}

/**
 * Imports a registry CSV all or nothing: any line error (syntax, rule, or conflict with what is
 * stored) rejects the file and leaves the database untouched. Importing the same file again changes
 * nothing. Every change is audited.
 */
export async function importRegistryCsv(
  db: Db,
  text: string,
  options: { source: string; now: Date; actor: AuditActor },
): Promise<RegistryImportResult> {
  const { lines, errors } = parseRegistryCsv(text);
  errors.push(...crossLineErrors(lines));
  if (errors.length > 0) throw new RegistryImportRejected(options.source, sortErrors(errors));
  if (lines.length === 0)
    throw new RegistryImportRejected(options.source, [{ line: 1, reason: 'no data line' }]);

  const result: RegistryImportResult = {
    entreprisesCreated: 0,
    sirensCreated: 0,
    prmsCreated: 0,
    prmsUpdated: 0,
    attachmentsCreated: 0,
    attachmentsUpdated: 0,
    collectionPeriodsCreated: 0,
    linesUnchanged: 0,
  };
  const dbErrors: LineError[] = [];
  const rollback = new Error('rollback');
  try {
    await db.transaction().execute(async (trx) => {
      const entreprises = new EntrepriseRepository(trx);
      const prms = new PrmRepository(trx);
      const audit = new AuditRepository(trx);
      const log = (
        entrepriseId: number | null,
        action: string,
        target: string,
        before: unknown,
        after: unknown,
      ) => audit.append({ actor: options.actor, entrepriseId, action, target, before, after }, options.now);
      const entrepriseIds = new Map<string, number>();
      const seenPrms = new Set<string>();

      for (const line of lines) {
        let changed = false;
        let entrepriseId = entrepriseIds.get(line.entreprise);
        if (entrepriseId === undefined) {
          entrepriseId = (await entreprises.findByName(line.entreprise))?.id;
          if (entrepriseId === undefined) {
            entrepriseId = await entreprises.insert(line.entreprise, options.now);
            await log(entrepriseId, 'registry.entreprise.created', `entreprise:${entrepriseId}`, undefined, {
              name: line.entreprise,
            });
            result.entreprisesCreated++;
            changed = true;
          }
          entrepriseIds.set(line.entreprise, entrepriseId);
        }

        const siren = await entreprises.findSiren(line.siren);
        if (!siren) {
          await entreprises.insertSiren(line.siren, entrepriseId, options.now);
          await log(entrepriseId, 'registry.siren.created', `siren:${line.siren}`, undefined, {
            siren: line.siren,
          });
          result.sirensCreated++;
          changed = true;
        } else if (siren.entrepriseId !== entrepriseId) {
          dbErrors.push({
            line: line.line,
            reason: `SIREN ${line.siren} already belongs to another entreprise`,
          });
          continue;
        }

        if (!seenPrms.has(line.prm.prm)) {
          seenPrms.add(line.prm.prm);
          const stored = await prms.find(line.prm.prm);
          if (!stored) {
            await prms.insert(line.prm, options.now);
            await log(entrepriseId, 'registry.prm.created', `prm:${line.prm.prm}`, undefined, line.prm);
            result.prmsCreated++;
            changed = true;
          } else if (stored.category !== line.prm.category) {
            dbErrors.push({
              line: line.line,
              reason: `PRM ${line.prm.prm} is category ${stored.category}; a segment change to ${line.prm.segment} would change its category`,
            });
            continue;
          } else if (!samePrm(stored, line.prm)) {
            await prms.update(line.prm, options.now);
            await log(entrepriseId, 'registry.prm.updated', `prm:${line.prm.prm}`, stored, line.prm);
            result.prmsUpdated++;
            changed = true;
          }
        }

        const existing = await prms.attachmentsOf(line.prm.prm);
        const same = existing.find((a) => a.startDate === line.attachmentStart);
        if (same && same.siren !== line.siren) {
          dbErrors.push({
            line: line.line,
            reason: `PRM ${line.prm.prm} is already attached to SIREN ${same.siren} from ${same.startDate}`,
          });
          continue;
        }
        const clash = existing.find(
          (a) => a !== same && overlaps(line.attachmentStart, line.attachmentEnd, a.startDate, a.endDate),
        );
        if (clash) {
          dbErrors.push({
            line: line.line,
            reason: `attachment overlaps the stored attachment of PRM ${line.prm.prm} to SIREN ${clash.siren} (${clash.startDate} – ${clash.endDate ?? 'open'})`,
          });
          continue;
        }
        if (!same) {
          await prms.insertAttachment({
            prm: line.prm.prm,
            siren: line.siren,
            startDate: line.attachmentStart,
            endDate: line.attachmentEnd,
          });
          await log(entrepriseId, 'registry.attachment.created', `prm:${line.prm.prm}`, undefined, {
            siren: line.siren,
            start: line.attachmentStart,
            end: line.attachmentEnd,
          });
          result.attachmentsCreated++;
          changed = true;
        } else if (same.endDate !== line.attachmentEnd) {
          await prms.setAttachmentEnd(same.id, line.attachmentEnd);
          await log(
            entrepriseId,
            'registry.attachment.updated',
            `prm:${line.prm.prm}`,
            { siren: same.siren, start: same.startDate, end: same.endDate },
            { siren: line.siren, start: line.attachmentStart, end: line.attachmentEnd },
          );
          result.attachmentsUpdated++;
          changed = true;
        }

        if (line.curveCollectionStart !== null) {
          const periods = await prms.collectionPeriodsOf(line.prm.prm);
          const covered = periods.some(
            (p) =>
              p.startDate <= line.curveCollectionStart! &&
              (p.endDate === null || p.endDate > line.curveCollectionStart!),
          );
          if (!covered) {
            await prms.insertCollectionPeriod(line.prm.prm, line.curveCollectionStart, null);
            await log(entrepriseId, 'registry.curve_collection.enabled', `prm:${line.prm.prm}`, undefined, {
              start: line.curveCollectionStart,
            });
            result.collectionPeriodsCreated++;
            changed = true;
          }
        }
        if (!changed) result.linesUnchanged++;
      }
      if (dbErrors.length > 0) throw rollback;
    });
  } catch (error) {
    if (error === rollback) throw new RegistryImportRejected(options.source, sortErrors(dbErrors));
    throw error;
  }
  return result;
}

function sortErrors(errors: LineError[]): LineError[] {
  return [...errors].sort((a, b) => a.line - b.line);
}
