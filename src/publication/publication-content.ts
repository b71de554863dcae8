import type { Category } from '../domain/identifiers.js';
import type { PublicationWindow } from '../domain/publication-windows.js';
import type { R63PrmBlock, R64PrmBlock } from './formats/r6x.types.js';

/** What the engine needs to know of a subscription to publish one of its windows. */
export interface PublicationScope {
  subscriptionId: number;
  siren: string;
  category: Category;
  dataType: 'INDEX' | 'CDC_BRUTE' | 'CDC_CORRIGEE';
  window: PublicationWindow;
}

/** What the archive records of each PRM a file covers, handed over with the PRM's block. */
export interface PrmCoverage {
  contractNumber: string;
}

/**
 * Reads what a window must publish: every PRM-day version stored during `[window.start, window.end)`
 * for the PRMs of the scope's perimeter (SIREN and category; measurement day inside the PRM's
 * attachment to the SIREN; for category B curves, a day with curve collection on), in PRM order,
 * one PRM block at a time.
 */
export interface PublicationContentSource {
  hasContent(scope: PublicationScope): Promise<boolean>;
  curveBlocks(scope: PublicationScope): AsyncIterable<R63PrmBlock & PrmCoverage>;
  indexBlocks(scope: PublicationScope): AsyncIterable<R64PrmBlock & PrmCoverage>;
}
