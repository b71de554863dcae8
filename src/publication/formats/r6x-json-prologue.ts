import type { R6xHeader } from './r6x.types.js';

/**
 * The opening of an R63/R64 JSON file up to the `mesures` array: `header` in the guide's field order
 * (§2.3), then `echeances`. `publicationCrp` is "non": a recurring publication carries no report.
 */
export function r6xJsonPrologue(header: R6xHeader): string {
  const head =
    `{"header":{"siDemandeur":"LINCS","typeDestinataire":"ENTREPRISE",` +
    `"idDestinataire":${JSON.stringify(header.idDestinataire)},"codeFlux":"${header.codeFlux}",` +
    `"idDemande":"${header.idDemande}","modePublication":"${header.modePublication}","format":"JSON",` +
    `"idPublication":${JSON.stringify(header.idPublication)},"publicationCrp":"non"}`;
  const e = header.echeances;
  let echeances = `"echeances":{"type":"${e.type}"`;
  if (e.type !== 'immediat') echeances += `,"horodateDebutPublication":"${e.horodateDebutPublication}"`;
  if (e.type === 'filEau') echeances += `,"frequence":"${e.frequence}"`;
  return `${head},${echeances}},"mesures":[`;
}
