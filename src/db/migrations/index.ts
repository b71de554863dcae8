import type { Kysely } from 'kysely';
import type { Engine } from '../database.js';
import * as m0001 from './0001-registry.js';
import * as m0002 from './0002-measurements.js';
import * as m0003 from './0003-accounts-subscriptions.js';
import * as m0004 from './0004-channels-delivery.js';
import * as m0005 from './0005-publications.js';
import * as m0006 from './0006-measurement-versions.js';
import * as m0007 from './0007-publication-prm-unchecked.js';
import * as m0008 from './0008-throttle-subject.js';
import * as m0009 from './0009-master-key-check.js';
import * as m0010 from './0010-subscription-next-due.js';

/**
 * Numbered migrations, applied in order on both engines. Never edit one that has landed: add the next.
 * Each receives the engine for the few statements whose SQL differs.
 */
export const MIGRATIONS: ReadonlyArray<
  readonly [string, (db: Kysely<unknown>, engine: Engine) => Promise<void>]
> = [
  ['0001-registry', m0001.up],
  ['0002-measurements', m0002.up],
  ['0003-accounts-subscriptions', m0003.up],
  ['0004-channels-delivery', m0004.up],
  ['0005-publications', m0005.up],
  ['0006-measurement-versions', m0006.up],
  ['0007-publication-prm-unchecked', m0007.up],
  ['0008-throttle-subject', m0008.up],
  ['0009-master-key-check', m0009.up],
  ['0010-subscription-next-due', m0010.up],
];
