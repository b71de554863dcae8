import { AppError } from '../../domain/app-error.js';
import { checkR6xTimestamp } from './r6x-timestamp.js';
import { CODES_FLUX, type R6xHeader } from './r6x.types.js';

function invalid(detail: string, params: Record<string, string> = {}): AppError {
  return new AppError('R6X_CONTENT_INVALID', detail, params);
}

/** Checks a header against the guide (§2.3, §3.3) before any byte is written. */
export function checkR6xHeader(header: R6xHeader, family: 'R63' | 'R64'): void {
  if (!(CODES_FLUX as readonly string[]).includes(header.codeFlux) || !header.codeFlux.startsWith(family)) {
    throw invalid(`codeFlux "${header.codeFlux}" is not an ${family} flux`, { codeFlux: header.codeFlux });
  }
  if (!/^[A-Za-z0-9]+$/.test(header.idDemande)) {
    throw invalid(`idDemande "${header.idDemande}" must be letters and digits only`);
  }
  if (!['Q', 'H', 'M'].includes(header.modePublication)) {
    throw invalid(`modePublication "${header.modePublication}" is not Q, H or M`);
  }
  if (header.idDestinataire.length < 1 || header.idDestinataire.length > 20) {
    throw invalid(`idDestinataire "${header.idDestinataire}" must have 1 to 20 characters`);
  }
  if (header.idPublication.length === 0) throw invalid('idPublication is empty');
  checkR6xTimestamp(header.dateDebut, 'dateDebut');
  checkR6xTimestamp(header.dateFin, 'dateFin');
  if (header.dateFin < header.dateDebut) {
    throw invalid(`dateFin ${header.dateFin} is before dateDebut ${header.dateDebut}`);
  }
  const echeances = header.echeances;
  if (echeances.type === 'heureFixe' || echeances.type === 'filEau') {
    checkR6xTimestamp(echeances.horodateDebutPublication, 'horodateDebutPublication');
  }
  if (echeances.type === 'filEau' && !/^\d+H$/.test(echeances.frequence)) {
    throw invalid(`frequence "${echeances.frequence}" is not a number of hours like 2H`);
  }
}
