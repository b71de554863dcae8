import { DateTime } from 'luxon';
import { PARIS_ZONE } from '../../domain/paris-calendar.js';
import { AppError } from '../../domain/app-error.js';
import {
  CODES_FLUX,
  typeDonneesOf,
  type CodeFlux,
  type ModePublication,
  type R6xFormat,
} from '../formats/r6x.types.js';

/** What names one publication (guide §2.1 and §2.2). */
export interface PublicationNameParts {
  codeFlux: CodeFlux;
  modePublication: ModePublication;
  /** Stable per subscription; letters and digits only. */
  idDemande: string;
  siren: string;
  /** +1 per file of a subscription, 1 to 99 999 (written on 5 digits). */
  numSequence: number;
  /** When the file was made; written in Paris local time. */
  horodate: Date;
  format: R6xFormat;
}

export interface PublicationNames {
  /** `Enedis_<codeFlux>_<mode>_<typeDonnees>_<idDemande>_<SIREN>_<horodate>.zip` */
  archiveName: string;
  /** `Enedis_<codeFlux>_<mode>_<typeDonnees>_<idDemande>_<numSequence>_<horodate>.json|csv` */
  innerName: string;
}

function invalid(detail: string): AppError {
  return new AppError('PUBLICATION_NAME_INVALID', detail, {});
}

/** `AAAAMMJJHHMMSS` in Paris local time (the guide's `horodate`, example « 20230312103246 »). */
export function formatHorodate(instant: Date): string {
  return DateTime.fromJSDate(instant, { zone: PARIS_ZONE }).toFormat('yyyyMMddHHmmss');
}

/** Names of a publication's zip archive and of the one file inside it. */
export function publicationNames(parts: PublicationNameParts): PublicationNames {
  if (!(CODES_FLUX as readonly string[]).includes(parts.codeFlux))
    throw invalid(`unknown codeFlux ${parts.codeFlux}`);
  if (!['Q', 'H', 'M'].includes(parts.modePublication)) {
    throw invalid(`modePublication "${parts.modePublication}" is not Q, H or M`);
  }
  // `_` separates the tokens: an idDemande holding one would make names ambiguous.
  if (!/^[A-Za-z0-9]+$/.test(parts.idDemande))
    throw invalid(`idDemande "${parts.idDemande}" must be letters and digits`);
  if (!/^\d{9}$/.test(parts.siren)) throw invalid(`SIREN "${parts.siren}" must be 9 digits`);
  if (!Number.isInteger(parts.numSequence) || parts.numSequence < 1 || parts.numSequence > 99999) {
    throw invalid(`numSequence ${parts.numSequence} is outside 1 to 99999`);
  }
  if (Number.isNaN(parts.horodate.getTime())) throw invalid('horodate is not a valid date');
  const stem = `Enedis_${parts.codeFlux}_${parts.modePublication}_${typeDonneesOf(parts.codeFlux)}_${parts.idDemande}`;
  const horodate = formatHorodate(parts.horodate);
  const sequence = String(parts.numSequence).padStart(5, '0');
  const extension = parts.format === 'JSON' ? 'json' : 'csv';
  return {
    archiveName: `${stem}_${parts.siren}_${horodate}.zip`,
    innerName: `${stem}_${sequence}_${horodate}.${extension}`,
  };
}
