import { AppError } from '../domain/app-error.js';
import { AuditRepository, type AuditActor } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';
import { PrmRepository } from '../db/prm.repository.js';
import { parseRegistryCsv, type LineError, type RegistryLine } from './registry-csv.js';
import {
  crossLineErrors,
  planRegistryChanges,
  type RegistryImportResult,
  type RegistryPlan,
  type StoredPrm,
  type StoredRegistry,
} from './registry-plan.js';

export type { RegistryImportResult } from './registry-plan.js';

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

/** Phases of an import, in order, as reported to `onProgress`. */
export type RegistryImportPhase = 'read' | 'write';

export interface RegistryImportOptions {
  source: string;
  now: Date;
  actor: AuditActor;
  /**
   * Called as the import goes: `read` counts the file's PRMs whose stored state is loaded, `write` the
   * rows written (audit entries included). Both end with `done === total`.
   */
  onProgress?: (done: number, total: number, phase: RegistryImportPhase) => void;
}

/** Keys loaded, or rows written, between two progress reports. */
const PROGRESS_STEP = 5000;

/**
 * Imports a registry CSV all or nothing: any line error (syntax, rule, or conflict with what is
 * stored) rejects the file and leaves the database untouched. Importing the same file again changes
 * nothing. Every change is audited.
 *
 * Set-wise: the stored state of the file's entreprises, SIRENs and PRMs is read in batches, the
 * changes are decided in memory line by line (`planRegistryChanges`), then written in multi-row
 * statements, all in one transaction.
 */
export async function importRegistryCsv(
  db: Db,
  text: string,
  options: RegistryImportOptions,
): Promise<RegistryImportResult> {
  const { lines, errors } = parseRegistryCsv(text);
  errors.push(...crossLineErrors(lines));
  if (errors.length > 0) throw new RegistryImportRejected(options.source, sortErrors(errors));
  if (lines.length === 0)
    throw new RegistryImportRejected(options.source, [{ line: 1, reason: 'no data line' }]);

  const progress = options.onProgress ?? (() => undefined);
  const rollback = new Error('rollback');
  let rejected: LineError[] = [];
  try {
    return await db.transaction().execute(async (trx) => {
      const stored = await readStored(trx, lines, progress);
      const plan = planRegistryChanges(lines, stored);
      if (plan.errors.length > 0) {
        rejected = plan.errors;
        throw rollback;
      }
      await writePlan(trx, plan, stored, options, progress);
      return plan.result;
    });
  } catch (error) {
    if (error === rollback) throw new RegistryImportRejected(options.source, sortErrors(rejected));
    throw error;
  }
}

function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

async function readStored(
  trx: Db,
  lines: readonly RegistryLine[],
  progress: NonNullable<RegistryImportOptions['onProgress']>,
): Promise<StoredRegistry> {
  const entreprises = new EntrepriseRepository(trx);
  const prms = new PrmRepository(trx);
  const entrepriseIds = await entreprises.idsByName(distinct(lines.map((l) => l.entreprise)));
  const sirenOwners = await entreprises.ownersOfSirens(distinct(lines.map((l) => l.siren)));
  // In key order: each slice is then one range of the store (`PrmRepository.findMany`).
  const prmIds = distinct(lines.map((l) => l.prm.prm)).sort();
  const collected = new Set(lines.filter((l) => l.curveCollectionStart !== null).map((l) => l.prm.prm));
  const stored = new Map<string, StoredPrm>();
  progress(0, prmIds.length, 'read');
  for (let i = 0; i < prmIds.length; i += PROGRESS_STEP) {
    const records = await prms.findMany(prmIds.slice(i, i + PROGRESS_STEP));
    // A PRM that is not stored has neither attachments nor periods.
    const known = [...records.keys()];
    const attachments = await prms.attachmentsByPrm(known);
    const periods = await prms.collectionPeriodsByPrm(known.filter((prm) => collected.has(prm)));
    for (const [prm, record] of records) {
      stored.set(prm, {
        record,
        attachments: attachments.get(prm) ?? [],
        collectionPeriods: periods.get(prm) ?? [],
      });
    }
    progress(Math.min(i + PROGRESS_STEP, prmIds.length), prmIds.length, 'read');
  }
  return { entrepriseIds, sirenOwners, prms: stored };
}

async function writePlan(
  trx: Db,
  plan: RegistryPlan,
  stored: StoredRegistry,
  options: RegistryImportOptions,
  progress: NonNullable<RegistryImportOptions['onProgress']>,
): Promise<void> {
  const entreprises = new EntrepriseRepository(trx);
  const prms = new PrmRepository(trx);
  const audit = new AuditRepository(trx);
  const total =
    plan.newEntreprises.length +
    plan.newSirens.length +
    plan.newPrms.length +
    plan.changedPrms.length +
    plan.newAttachments.length +
    plan.attachmentEnds.size +
    plan.newCollectionPeriods.length +
    plan.audit.length;
  let done = 0;
  progress(0, total, 'write');
  /** Writes `rows` by slices, reporting progress after each. */
  const write = async <T>(rows: readonly T[], writeSlice: (slice: T[]) => Promise<void>) => {
    for (let i = 0; i < rows.length; i += PROGRESS_STEP) {
      const slice = rows.slice(i, i + PROGRESS_STEP);
      await writeSlice(slice);
      done += slice.length;
      progress(done, total, 'write');
    }
  };

  const entrepriseIds = new Map(stored.entrepriseIds);
  await write(plan.newEntreprises, async (names) => {
    for (const [name, id] of await entreprises.insertMany(names, options.now)) entrepriseIds.set(name, id);
  });
  const idOf = (name: string) => {
    const id = entrepriseIds.get(name);
    if (id === undefined) throw new AppError('INTERNAL', `entreprise "${name}" has no id`);
    return id;
  };
  await write(plan.newSirens, (sirens) =>
    entreprises.insertSirens(
      sirens.map((s) => ({ siren: s.siren, entrepriseId: idOf(s.entreprise) })),
      options.now,
    ),
  );
  await write(plan.newPrms, (records) => prms.insertMany(records, options.now));
  await write(plan.changedPrms, (records) => prms.updateMany(records, options.now));
  await write(plan.newAttachments, (attachments) => prms.insertAttachments(attachments));
  await write(
    [...plan.attachmentEnds].map(([id, endDate]) => ({ id, endDate })),
    (ends) => prms.setAttachmentEnds(ends),
  );
  await write(plan.newCollectionPeriods, (periods) => prms.insertCollectionPeriods(periods));
  await write(plan.audit, (entries) =>
    audit.appendMany(
      entries.map((entry) => {
        const entrepriseId = idOf(entry.entreprise);
        return {
          actor: options.actor,
          entrepriseId,
          action: entry.action,
          target: entry.target ?? `entreprise:${entrepriseId}`,
          before: entry.before,
          after: entry.after,
        };
      }),
      options.now,
    ),
  );
}

function sortErrors(errors: LineError[]): LineError[] {
  return [...errors].sort((a, b) => a.line - b.line);
}
