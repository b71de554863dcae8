import type { Generated } from 'kysely';

/**
 * Table types shared by both engines. Portable column conventions:
 * instants are ISO-8601 UTC text (`2026-11-28T12:00:00.000Z`, sorts like time), local days are
 * `YYYY-MM-DD` text, booleans are integers 0/1, lists and objects are JSON text.
 */
export interface EntrepriseTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface SirenTable {
  siren: string;
  entreprise_id: number;
  created_at: string;
}

export interface PrmTable {
  prm: string;
  segment: string;
  category: string;
  kva: number;
  step: string;
  contract_number: string;
  label: string;
  distributor_calendar: string;
  supplier_calendar: string | null;
  created_at: string;
  updated_at: string;
}

/** A PRM belongs to a SIREN on local days [start_date, end_date); end_date null = still attached. */
export interface PrmAttachmentTable {
  id: Generated<number>;
  prm: string;
  siren: string;
  start_date: string;
  end_date: string | null;
}

/** Category B only: load-curve collection is on for local days [start_date, end_date). */
export interface PrmCurveCollectionTable {
  id: Generated<number>;
  prm: string;
  start_date: string;
  end_date: string | null;
}

export interface AppUserTable {
  id: Generated<number>;
  entreprise_id: number;
  email: string;
  display_name: string;
  password_hash: string;
  /** JSON array of Habilitation. */
  habilitations: string;
  /** JSON array of SIREN, or null for every SIREN of the entreprise. */
  siren_perimeter: string | null;
  active: number;
  created_at: string;
}

/** Append-only (database triggers refuse UPDATE and DELETE). */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor_type: string;
  actor_id: string | null;
  actor_label: string;
  entreprise_id: number | null;
  action: string;
  target: string;
  before_value: string | null;
  after_value: string | null;
}

/** One curve of one PRM for one local day: values and qualities as binary vectors (meterdata/vector-codec.ts). */
export interface CurveDayTable {
  prm: string;
  day: string;
  /** Grandeur physique: PA, PRI or PRC (consumption). */
  quantity: string;
  /** Etape métier: BRUT or BEST. */
  stage: string;
  step_minutes: number;
  vals: Uint8Array;
  qualities: Uint8Array;
  /** Version instant: changes only when the content changes. */
  stored_at: string;
}

/** Daily index reading at local midnight starting `day`, cumulative Wh of one register. */
export interface IndexReadingTable {
  prm: string;
  day: string;
  /** Time class (HP, HC, BASE, P, HPH, …) or TOTAL for the Linky totalizer. */
  register: string;
  value_wh: number;
  iv: number | null;
  stored_at: string;
}

export interface Schema {
  entreprise: EntrepriseTable;
  siren: SirenTable;
  prm: PrmTable;
  prm_attachment: PrmAttachmentTable;
  prm_curve_collection: PrmCurveCollectionTable;
  app_user: AppUserTable;
  audit_log: AuditLogTable;
  curve_day: CurveDayTable;
  index_reading: IndexReadingTable;
}
