import { AppError } from '../domain/app-error.js';
import type { Db } from '../db/database.js';
import { PrmRepository, type Attachment, type PrmRecord } from '../db/prm.repository.js';
import type { UserRecord } from '../db/user.repository.js';
import { sirensInScope } from './tenant-scope.js';

/** A PRM as a user may see it: its record and its attachments to SIRENs of the user's perimeter. */
export interface ScopedPrm {
  record: PrmRecord;
  attachments: Attachment[];
}

/**
 * A PRM attached (now or in the past) to a SIREN the user sees; anything else is NOT_FOUND. The
 * attachments bound what may be read: a customer sees only days inside its attachment intervals.
 */
export async function requirePrmInScope(db: Db, user: UserRecord, prm: string): Promise<ScopedPrm> {
  const prms = new PrmRepository(db);
  const record = /^\d{14}$/.test(prm) ? await prms.find(prm) : undefined;
  const sirens = new Set(await sirensInScope(db, user));
  const attachments = record ? (await prms.attachmentsOf(prm)).filter((a) => sirens.has(a.siren)) : [];
  if (!record || attachments.length === 0) {
    throw new AppError('NOT_FOUND', `PRM ${prm} is not visible to user ${user.id}`);
  }
  return { record, attachments };
}

/** Whether a local day lies inside one of the attachment intervals. */
export function dayInAttachments(attachments: readonly Attachment[], day: string): boolean {
  return attachments.some((a) => a.startDate <= day && (a.endDate === null || day < a.endDate));
}
