import { DateTime } from 'luxon';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { PublicationRepository, type PublicationRecord } from '../../db/publication.repository.js';
import { checkSearchRange, oldestAccessibleDay } from '../../domain/archive-access.js';
import { PARIS_ZONE } from '../../domain/paris-calendar.js';

/** The filters of "Recherche de flux". Days are Paris local `YYYY-MM-DD`, both bounds inclusive. */
export interface FluxSearchInput {
  siren?: string;
  dateDebut?: string;
  dateFin?: string;
  frequency?: string;
  fileName?: string;
  dataType?: string;
  contractNumber?: string;
  prm?: string;
  page?: number;
  pageSize?: number;
}

/** Who searches: the SIRENs they may see (entreprise ∩ perimeter). */
export interface FluxSearchScope {
  entrepriseId: number;
  sirens: readonly string[];
}

export interface FluxSearchResult {
  total: number;
  page: number;
  pageSize: number;
  items: PublicationRecord[];
}

const dayStart = (day: string) => DateTime.fromISO(day, { zone: PARIS_ZONE }).startOf('day').toJSDate();

/**
 * Searches the archive within the caller's SIRENs. A SIREN outside the scope yields nothing (never an
 * error that would confirm it exists elsewhere). Publications older than the access window are not
 * returned even when no date is given.
 */
export async function searchFlux(
  db: Db,
  clock: Clock,
  scope: FluxSearchScope,
  input: FluxSearchInput,
): Promise<FluxSearchResult> {
  const now = clock.now();
  checkSearchRange(input.dateDebut, input.dateFin, now);
  const pageSize = Math.min(Math.max(input.pageSize ?? 20, 1), 100);
  const page = Math.max(input.page ?? 1, 1);
  const oldest = dayStart(oldestAccessibleDay(now));
  const from = input.dateDebut ? dayStart(input.dateDebut) : oldest;
  const to = input.dateFin
    ? DateTime.fromISO(input.dateFin, { zone: PARIS_ZONE }).plus({ days: 1 }).startOf('day').toJSDate()
    : undefined;
  const sirens = input.siren ? scope.sirens.filter((s) => s === input.siren) : scope.sirens;
  const { total, items } = await new PublicationRepository(db).search({
    sirens,
    createdFrom: from,
    createdTo: to,
    frequency: input.frequency,
    fileName: input.fileName?.trim() || undefined,
    dataType: input.dataType,
    contractNumber: input.contractNumber?.trim() || undefined,
    prm: input.prm?.trim() || undefined,
    limit: pageSize,
    offset: (page - 1) * pageSize,
  });
  return { total, page, pageSize, items: items.filter((p) => p.entrepriseId === scope.entrepriseId) };
}
