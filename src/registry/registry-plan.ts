import type { Attachment, PrmRecord } from '../db/prm.repository.js';
import type { LineError, RegistryLine } from './registry-csv.js';

/** Counts of what an import created, changed or left as it was. */
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

/** A stored PRM with its attachments and curve-collection periods, each list in start order. */
export interface StoredPrm {
  record: PrmRecord;
  attachments: readonly Attachment[];
  collectionPeriods: ReadonlyArray<{ startDate: string; endDate: string | null }>;
}

/** What is stored about the entreprises, SIRENs and PRMs a registry file names (nothing else). */
export interface StoredRegistry {
  /** Id of each entreprise of the file that exists, by name. */
  entrepriseIds: ReadonlyMap<string, number>;
  /** Entreprise id of each SIREN of the file that exists. */
  sirenOwners: ReadonlyMap<string, number>;
  /** Each PRM of the file that exists (collection periods at least of those a line enables). */
  prms: ReadonlyMap<string, StoredPrm>;
}

/**
 * An audit entry of the plan. Entreprises are named, since new ones get their id only when written;
 * an entry without `target` is about the entreprise itself (`entreprise:<id>`).
 */
export interface PlannedAuditEntry {
  entreprise: string;
  action: string;
  target?: string;
  before?: unknown;
  after?: unknown;
}

/** Every write an import makes, in the order the file asks for them. */
export interface RegistryPlan {
  result: RegistryImportResult;
  /** Conflicts with what is stored; the plan is not to be written when there is any. */
  errors: LineError[];
  newEntreprises: string[];
  newSirens: Array<{ siren: string; entreprise: string }>;
  newPrms: PrmRecord[];
  changedPrms: PrmRecord[];
  newAttachments: Array<Omit<Attachment, 'id'>>;
  /** New end of stored attachments, by attachment id. */
  attachmentEnds: Map<number, string | null>;
  newCollectionPeriods: Array<{ prm: string; startDate: string; endDate: null }>;
  audit: PlannedAuditEntry[];
}

export function samePrm(a: PrmRecord, b: PrmRecord): boolean {
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
export function crossLineErrors(lines: readonly RegistryLine[]): LineError[] {
  const errors: LineError[] = [];
  const prmFirst = new Map<string, RegistryLine>();
  const sirenOwner = new Map<string, RegistryLine>();
  // Each PRM's earlier lines, appended in place: a line is compared with its own PRM's lines only.
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
    const others = attachments.get(line.prm.prm);
    if (!others) {
      attachments.set(line.prm.prm, [line]);
      continue;
    }
    for (const other of others) {
      if (overlaps(line.attachmentStart, line.attachmentEnd, other.attachmentStart, other.attachmentEnd)) {
        errors.push({
          line: line.line,
          reason: `attachment of PRM ${line.prm.prm} overlaps the one on line ${other.line}`,
        });
      }
    }
    others.push(line);
  }
  return errors;
}

/** A PRM as the lines read so far leave it. */
interface PrmState {
  /** Whether a line of this PRM went past the SIREN check (its attributes are then settled). */
  seen: boolean;
  stored: StoredPrm | undefined;
  /** In start order, as the store returns them; `id` null for those this file creates. */
  attachments: Array<Omit<Attachment, 'id'> & { id: number | null }>;
  collectionPeriods: Array<{ startDate: string; endDate: string | null }>;
}

function stateOf(stored: StoredPrm | undefined): PrmState {
  return {
    seen: false,
    stored,
    attachments: (stored?.attachments ?? []).map((a) => ({
      id: a.id,
      prm: a.prm,
      siren: a.siren,
      startDate: a.startDate,
      endDate: a.endDate,
    })),
    collectionPeriods: [...(stored?.collectionPeriods ?? [])],
  };
}

/**
 * Decides, line by line in file order, what the import writes and which lines conflict with what is
 * stored, as if each line were applied before the next is read: a SIREN, PRM, attachment or
 * collection period created by one line is seen by the following ones. Pure: `stored` is not changed.
 */
export function planRegistryChanges(lines: readonly RegistryLine[], stored: StoredRegistry): RegistryPlan {
  const plan: RegistryPlan = {
    result: {
      entreprisesCreated: 0,
      sirensCreated: 0,
      prmsCreated: 0,
      prmsUpdated: 0,
      attachmentsCreated: 0,
      attachmentsUpdated: 0,
      collectionPeriodsCreated: 0,
      linesUnchanged: 0,
    },
    errors: [],
    newEntreprises: [],
    newSirens: [],
    newPrms: [],
    changedPrms: [],
    newAttachments: [],
    attachmentEnds: new Map(),
    newCollectionPeriods: [],
    audit: [],
  };
  const { result, errors, audit } = plan;
  const knownEntreprises = new Set(stored.entrepriseIds.keys());
  /** SIRENs created by this file, with their entreprise's name. */
  const newSirenOwners = new Map<string, string>();
  const prmStates = new Map<string, PrmState>();

  for (const line of lines) {
    const prm = line.prm.prm;
    let state = prmStates.get(prm);
    if (!state) {
      state = stateOf(stored.prms.get(prm));
      prmStates.set(prm, state);
    }
    let changed = false;
    if (!knownEntreprises.has(line.entreprise)) {
      knownEntreprises.add(line.entreprise);
      plan.newEntreprises.push(line.entreprise);
      audit.push({
        entreprise: line.entreprise,
        action: 'registry.entreprise.created',
        after: { name: line.entreprise },
      });
      result.entreprisesCreated++;
      changed = true;
    }

    const storedOwner = stored.sirenOwners.get(line.siren);
    const newOwner = newSirenOwners.get(line.siren);
    if (storedOwner === undefined && newOwner === undefined) {
      newSirenOwners.set(line.siren, line.entreprise);
      plan.newSirens.push({ siren: line.siren, entreprise: line.entreprise });
      audit.push({
        entreprise: line.entreprise,
        action: 'registry.siren.created',
        target: `siren:${line.siren}`,
        after: { siren: line.siren },
      });
      result.sirensCreated++;
      changed = true;
    } else if (
      storedOwner !== undefined
        ? storedOwner !== stored.entrepriseIds.get(line.entreprise)
        : newOwner !== line.entreprise
    ) {
      errors.push({ line: line.line, reason: `SIREN ${line.siren} already belongs to another entreprise` });
      continue;
    }

    if (!state.seen) {
      state.seen = true;
      const record = state.stored?.record;
      if (!record) {
        plan.newPrms.push(line.prm);
        audit.push({
          entreprise: line.entreprise,
          action: 'registry.prm.created',
          target: `prm:${prm}`,
          after: line.prm,
        });
        result.prmsCreated++;
        changed = true;
      } else if (record.category !== line.prm.category) {
        errors.push({
          line: line.line,
          reason: `PRM ${prm} is category ${record.category}; a segment change to ${line.prm.segment} would change its category`,
        });
        continue;
      } else if (!samePrm(record, line.prm)) {
        plan.changedPrms.push(line.prm);
        audit.push({
          entreprise: line.entreprise,
          action: 'registry.prm.updated',
          target: `prm:${prm}`,
          before: record,
          after: line.prm,
        });
        result.prmsUpdated++;
        changed = true;
      }
    }

    const existing = state.attachments;
    const same = existing.find((a) => a.startDate === line.attachmentStart);
    if (same && same.siren !== line.siren) {
      errors.push({
        line: line.line,
        reason: `PRM ${prm} is already attached to SIREN ${same.siren} from ${same.startDate}`,
      });
      continue;
    }
    const clash = existing.find(
      (a) => a !== same && overlaps(line.attachmentStart, line.attachmentEnd, a.startDate, a.endDate),
    );
    if (clash) {
      errors.push({
        line: line.line,
        reason: `attachment overlaps the stored attachment of PRM ${prm} to SIREN ${clash.siren} (${clash.startDate} – ${clash.endDate ?? 'open'})`,
      });
      continue;
    }
    if (!same) {
      const attachment = {
        id: null,
        prm,
        siren: line.siren,
        startDate: line.attachmentStart,
        endDate: line.attachmentEnd,
      };
      plan.newAttachments.push(attachment);
      insertByStart(existing, attachment);
      audit.push({
        entreprise: line.entreprise,
        action: 'registry.attachment.created',
        target: `prm:${prm}`,
        after: { siren: line.siren, start: line.attachmentStart, end: line.attachmentEnd },
      });
      result.attachmentsCreated++;
      changed = true;
    } else if (same.endDate !== line.attachmentEnd) {
      audit.push({
        entreprise: line.entreprise,
        action: 'registry.attachment.updated',
        target: `prm:${prm}`,
        before: { siren: same.siren, start: same.startDate, end: same.endDate },
        after: { siren: line.siren, start: line.attachmentStart, end: line.attachmentEnd },
      });
      // One created by this file is also the one in `newAttachments`: it is inserted with its new end.
      same.endDate = line.attachmentEnd;
      if (same.id !== null) plan.attachmentEnds.set(same.id, line.attachmentEnd);
      result.attachmentsUpdated++;
      changed = true;
    }

    const collectionStart = line.curveCollectionStart;
    if (collectionStart !== null) {
      const covered = state.collectionPeriods.some(
        (p) => p.startDate <= collectionStart && (p.endDate === null || p.endDate > collectionStart),
      );
      if (!covered) {
        state.collectionPeriods.push({ startDate: collectionStart, endDate: null });
        plan.newCollectionPeriods.push({ prm, startDate: collectionStart, endDate: null });
        audit.push({
          entreprise: line.entreprise,
          action: 'registry.curve_collection.enabled',
          target: `prm:${prm}`,
          after: { start: collectionStart },
        });
        result.collectionPeriodsCreated++;
        changed = true;
      }
    }
    if (!changed) result.linesUnchanged++;
  }
  return plan;
}

/** Inserts into a list kept in start order (as the store returns it, so the first clash is the same). */
function insertByStart<T extends { startDate: string }>(list: T[], item: T): void {
  let index = list.length;
  while (index > 0 && list[index - 1]!.startDate > item.startDate) index--;
  list.splice(index, 0, item);
}
