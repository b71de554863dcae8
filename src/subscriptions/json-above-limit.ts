import { DATA_TYPE_LABELS, FREQUENCY_LABELS } from '../domain/catalog.js';
import { CSV_PRM_LIMIT, isCsvAllowed } from '../domain/subscription-rules.js';
import { AuditRepository } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { PrmRepository } from '../db/prm.repository.js';
import { SubscriptionRepository, type SubscriptionRecord } from '../db/subscription.repository.js';
import type { Notifier } from '../notification/notifier.js';
import { localDayOf } from '../domain/paris-calendar.js';

export interface FormatSwitch {
  subscription: SubscriptionRecord;
  prmCount: number;
}

/**
 * Switches to JSON every live CSV subscription whose SIREN now has more than 100 PRMs in its category
 * (attached today, Paris time), optionally for one SIREN only. The switch applies to the very next
 * publication (cause `PRM_LIMIT`), is audited, and the entreprise's data managers are notified once
 * per SIREN after the transaction commits. Run after every registry import and before publishing.
 */
export async function enforceJsonAboveLimit(
  db: Db,
  options: { now: Date; notifier: Notifier; siren?: string },
): Promise<FormatSwitch[]> {
  const { now } = options;
  const switched = await db.transaction().execute(async (trx) => {
    const subscriptions = new SubscriptionRepository(trx);
    const prms = new PrmRepository(trx);
    const audit = new AuditRepository(trx);
    const counts = new Map<string, number>();
    const done: FormatSwitch[] = [];
    for (const subscription of await subscriptions.listLiveCsv(options.siren)) {
      const key = `${subscription.siren}/${subscription.category}`;
      let count = counts.get(key);
      if (count === undefined) {
        count = await prms.countAttachedOn(subscription.siren, subscription.category, localDayOf(now));
        counts.set(key, count);
      }
      if (isCsvAllowed(count)) continue;
      await subscriptions.changeFormat(subscription.id, 'JSON', now, 'PRM_LIMIT');
      await audit.append(
        {
          actor: { type: 'system', id: null, label: 'regle-100-prm' },
          entrepriseId: subscription.entrepriseId,
          action: 'subscription.format_switched_to_json',
          target: `subscription:${subscription.id}`,
          before: { format: 'CSV' },
          after: { format: 'JSON', prmCount: count, limit: CSV_PRM_LIMIT },
        },
        now,
      );
      done.push({ subscription: { ...subscription, format: 'JSON' }, prmCount: count });
    }
    return done;
  });

  const bySiren = new Map<string, FormatSwitch[]>();
  for (const item of switched) {
    bySiren.set(item.subscription.siren, [...(bySiren.get(item.subscription.siren) ?? []), item]);
  }
  for (const [siren, items] of bySiren) {
    const first = items[0]!;
    const list = items
      .map(
        (i) =>
          `- ${DATA_TYPE_LABELS[i.subscription.dataType]}, ${FREQUENCY_LABELS[i.subscription.frequency].toLowerCase()} ` +
          `(catégorie ${i.subscription.category === 'A' ? '> 36 kVA' : '≤ 36 kVA'}, ${i.prmCount} PRM)`,
      )
      .join('\n');
    await options.notifier.notify({
      entrepriseId: first.subscription.entrepriseId,
      kind: 'FORMAT_SWITCHED_TO_JSON',
      subject: `Vos abonnements du SIREN ${siren} passent au format JSON`,
      text:
        `Bonjour,\n\nLe SIREN ${siren} compte désormais plus de ${CSV_PRM_LIMIT} PRM : le format CSV n'est ` +
        `plus disponible. Les abonnements suivants sont passés au format JSON, dès la prochaine publication :\n` +
        `${list}\n\nCordialement,\nPubliwatt`,
    });
  }
  return switched;
}
