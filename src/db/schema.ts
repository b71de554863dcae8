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

export type ChannelKind = 'email' | 'sftp' | 'ftps' | 'ftp';
export type ChannelStatus = 'ACTIF' | 'INACTIF';

/** A delivery channel of an entreprise. `secret_sealed` is encrypted with the master key. */
export interface ChannelTable {
  id: Generated<number>;
  entreprise_id: number;
  kind: ChannelKind;
  label: string;
  email: string | null;
  host: string | null;
  port: number | null;
  username: string | null;
  remote_dir: string | null;
  auth_kind: 'password' | 'key' | null;
  secret_sealed: string | null;
  /** SFTP: `SHA256:<base64>` of the host key, pinned at the first successful test. */
  host_key_fingerprint: string | null;
  allow_self_signed: number;
  insecure_acknowledged: number;
  status: ChannelStatus;
  /** SHA-256 hex of the e-mail confirmation token (the token itself is only in the mail). */
  confirmation_token_hash: string | null;
  confirmation_expires_at: string | null;
  confirmed_at: string | null;
  last_test_at: string | null;
  last_test_ok: number | null;
  /** JSON: the steps of the last test. */
  last_test_result: string | null;
  created_at: string;
  updated_at: string;
}

/** Versions of an entreprise's customer encryption key, sealed with the master key. */
export interface CustomerKeyTable {
  id: Generated<number>;
  entreprise_id: number;
  version: number;
  key_sealed: string;
  created_at: string;
  retired_at: string | null;
}

/** Channels receiving a subscription's publications (subscription_id: no foreign key, see 0004). */
export interface SubscriptionChannelTable {
  subscription_id: number;
  channel_id: number;
  created_at: string;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

/** One attempt series of sending a publication to a channel; re-sends are new rows (resend_seq > 0). */
export interface DeliveryTable {
  id: Generated<number>;
  publication_id: number;
  channel_id: number;
  entreprise_id: number;
  resend_seq: number;
  status: DeliveryStatus;
  attempts: number;
  first_attempt_at: string | null;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  delivered_at: string | null;
  key_version: number | null;
  /** JSON: what the transport reported (remote path, size, message id). */
  receipt: string | null;
  requested_by: string | null;
  created_at: string;
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
  /** Version instant: a new version (row) is stored only when the content changes. */
  stored_at: string;
  /** `stored_at` of the next version of the key; null for the latest (one per key). */
  superseded_at: string | null;
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
  /** `stored_at` of the next version of the key; null for the latest (one per key). */
  superseded_at: string | null;
}

export interface Schema {
  entreprise: EntrepriseTable;
  siren: SirenTable;
  prm: PrmTable;
  prm_attachment: PrmAttachmentTable;
  prm_curve_collection: PrmCurveCollectionTable;
  app_user: AppUserTable;
  audit_log: AuditLogTable;
  subscription: SubscriptionTable;
  subscription_format_change: SubscriptionFormatChangeTable;
  operator: OperatorTable;
  user_session: UserSessionTable;
  api_token: ApiTokenTable;
  login_throttle: LoginThrottleTable;
  user_invitation: UserInvitationTable;
  channel: ChannelTable;
  customer_key: CustomerKeyTable;
  subscription_channel: SubscriptionChannelTable;
  delivery: DeliveryTable;
  publication_run: PublicationRunTable;
  publication: PublicationTable;
  publication_prm: PublicationPrmTable;
  curve_day: CurveDayTable;
  index_reading: IndexReadingTable;
  master_key_check: MasterKeyCheckTable;
}

/**
 * One row (id 1): the check value of the master key everything is sealed with; while a rotation is
 * unfinished, the new key's check value and the last archived file re-sealed (in path order).
 */
export interface MasterKeyCheckTable {
  id: number;
  check_value: string;
  created_at: string;
  rotation_check_value: string | null;
  rotation_started_at: string | null;
  rotation_file_cursor: string | null;
}

/** One subscription of a SIREN; ended rows are kept. `format` is the latest requested format. */
export interface SubscriptionTable {
  id: Generated<number>;
  entreprise_id: number;
  siren: string;
  category: string;
  data_type: string;
  frequency: string;
  format: string;
  /** Stable identifier used in the published file names (R6X `idDemande`). */
  id_demande: string;
  requested_at: string;
  effective_at: string;
  ended_at: string | null;
  requested_by: string;
  /** End of the next window to schedule (due from then); null: not yet seen by the scheduler (0010). */
  next_due_at: Generated<string | null>;
}

export interface SubscriptionFormatChangeTable {
  id: Generated<number>;
  subscription_id: number;
  format: string;
  from_at: string;
  cause: string;
}

export interface OperatorTable {
  id: Generated<number>;
  email: string;
  password_hash: string | null;
  active: number;
  created_at: string;
}

export interface UserSessionTable {
  /** SHA-256 (hex) of the random session id the cookie carries. */
  id_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
}

export interface ApiTokenTable {
  id: Generated<number>;
  user_id: number | null;
  operator_id: number | null;
  name: string;
  token_hash: string;
  /** First characters of the token, shown in listings to recognise it. */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface LoginThrottleTable {
  /** `account:<e-mail>`, `device:<id>` or `reauth:<user id>`. */
  subject: string;
  /** Attempts not proven right since the count last started (while locked, attempts refused too). */
  failures: number;
  /** The last attempt counted. */
  last_failure_at: string;
  locked_until: string | null;
}

export interface UserInvitationTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** One publication run: a (subscription, window) to publish, its fixed identity and its lease. */
export interface PublicationRunTable {
  id: Generated<number>;
  subscription_id: number;
  window_start: string;
  window_end: string;
  /** 0 for the scheduled run, 1, 2, … for rebuilds asked later. */
  rebuild: Generated<number>;
  /** `pending`, `running`, `done`, `empty` (nothing collected, no file), `failed`. */
  status: string;
  format: string;
  num_sequence: number | null;
  horodate: string;
  attempts: Generated<number>;
  lease_owner: string | null;
  /** While running: the lease end; while pending: not before (retry backoff). */
  lease_expires_at: string | null;
  last_error: string | null;
  requested_by: string | null;
  created_at: string;
  completed_at: string | null;
}

/** The archive row of a published file (the file itself is sealed in archive storage). */
export interface PublicationTable {
  id: Generated<number>;
  run_id: number;
  subscription_id: number;
  entreprise_id: number;
  siren: string;
  code_flux: string;
  data_type: string;
  frequency: string;
  format: string;
  category: string;
  window_start: string;
  window_end: string;
  created_at: string;
  archive_name: string;
  inner_name: string;
  size: number;
  sha256: string;
  storage_key: string;
  num_sequence: number;
  id_demande: string;
  prm_count: number;
  point_count: number;
}

/** PRMs (and their contract numbers) a publication covers, for the archive search. */
export interface PublicationPrmTable {
  publication_id: number;
  prm: string;
  contract_number: string;
}
