/** A message for the data managers of an entreprise (French subject and text). */
export interface NotifierMessage {
  entrepriseId: number;
  /** Stable machine-readable kind, e.g. `FORMAT_SWITCHED_TO_JSON`, `DELIVERY_FAILED`. */
  kind: string;
  subject: string;
  text: string;
}

/** Tells an entreprise's data managers about something that happened without them. */
export interface Notifier {
  notify(message: NotifierMessage): Promise<void>;
}
