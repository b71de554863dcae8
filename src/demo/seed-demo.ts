import type { AuditActor } from '../db/audit.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';
import { PrmRepository, type PrmRecord } from '../db/prm.repository.js';
import { UserRepository } from '../db/user.repository.js';
import { hashPassword } from '../auth/password.js';
import type { Habilitation } from '../domain/habilitations.js';
import { REGISTRY_COLUMNS } from '../registry/registry-csv.js';
import { importRegistryCsv } from '../registry/registry-import.js';
import { addDays, dayStart, localDayOf } from '../domain/paris-calendar.js';
import { ChannelRepository } from '../db/channel.repository.js';
import { SubscriptionChannelRepository } from '../db/subscription-channel.repository.js';
import { SubscriptionRepository } from '../db/subscription.repository.js';
import { generateMeasurements } from '../meterdata/generate-measurements.js';

export const DEMO_ENTREPRISE = 'Démo Énergie Industrie SA';
/** Multi-site SIREN with category A and B meters. */
export const DEMO_SIREN_SITES = '356000000';
/** Retail network SIREN with 150 Linky meters: above 100 PRM, only JSON may be subscribed. */
export const DEMO_SIREN_RESEAU = '552100554';

/** Days of synthetic measurements the demo holds, ending yesterday (Paris time). */
export const DEMO_MEASUREMENT_DAYS = 60;

export interface DemoLogin {
  email: string;
  password: string;
  habilitations: Habilitation[];
  role: string;
}

export const DEMO_LOGINS: readonly DemoLogin[] = [
  {
    email: 'admin@demo.publiwatt.fr',
    password: 'Admin-Demo-2026!',
    habilitations: ['GESTION_UTILISATEURS', 'GESTION_SERVICES_DONNEES', 'CONSULTATION'],
    role: 'administrateur (toutes les habilitations)',
  },
  {
    email: 'consultation@demo.publiwatt.fr',
    password: 'Consult-Demo-2026!',
    habilitations: ['CONSULTATION'],
    role: 'consultation seule',
  },
  {
    email: 'services@demo.publiwatt.fr',
    password: 'Services-Demo-2026!',
    habilitations: ['GESTION_SERVICES_DONNEES'],
    role: 'gestion des services de données seule',
  },
];

const CITIES = ['Lyon', 'Lille', 'Nantes', 'Toulouse', 'Rennes', 'Dijon', 'Metz', 'Tours', 'Reims', 'Brest'];

/** The demo registry, as the CSV an operator would import (so the demo exercises the real import path). */
export function demoRegistryCsv(attachmentStart: string): string {
  const rows: string[][] = [];
  const add = (
    siren: string,
    prm: string,
    segment: string,
    kva: number,
    step: string,
    label: string,
    collection: boolean,
  ) =>
    rows.push([
      DEMO_ENTREPRISE,
      siren,
      prm,
      segment,
      String(kva),
      `CTR-${prm.slice(-8)}`,
      step,
      label,
      attachmentStart,
      '',
      '',
      '',
      segment === 'C5' && collection ? attachmentStart : '',
    ]);
  const segmentsA = ['C1', 'C2', 'C4', 'C4', 'C2', 'C4', 'C1', 'C4', 'C2', 'C4', 'C4', 'C2'];
  const kvaA: Record<string, number> = { C1: 1200, C2: 400, C4: 120 };
  const usages = ['Usine', 'Entrepôt', 'Bureaux', 'Atelier'];
  segmentsA.forEach((segment, i) => {
    const prm = `300010000${String(i + 1).padStart(5, '0')}`;
    add(
      DEMO_SIREN_SITES,
      prm,
      segment,
      kvaA[segment]!,
      'PT5M',
      `${usages[i % usages.length]} de ${CITIES[i % CITIES.length]}`,
      false,
    );
  });
  for (let i = 0; i < 40; i++) {
    const prm = `300020000${String(i + 1).padStart(5, '0')}`;
    const step = i % 8 === 7 ? 'PT10M' : 'PT30M';
    // A few meters keep curve collection off, so the rule is visible in the demo.
    add(
      DEMO_SIREN_SITES,
      prm,
      'C5',
      [6, 9, 12, 18, 24, 36][i % 6]!,
      step,
      `Agence ${CITIES[i % CITIES.length]} ${i + 1}`,
      i % 10 !== 9,
    );
  }
  for (let i = 0; i < 150; i++) {
    const prm = `300030000${String(i + 1).padStart(5, '0')}`;
    add(
      DEMO_SIREN_RESEAU,
      prm,
      'C5',
      [9, 12, 15, 36][i % 4]!,
      'PT30M',
      `Boutique ${CITIES[i % CITIES.length]} n°${i + 1}`,
      true,
    );
  }
  return [REGISTRY_COLUMNS.join(';'), ...rows.map((r) => r.join(';'))].join('\n') + '\n';
}

/**
 * Seeds the demo entreprise, its registry and its users. Does nothing when the demo entreprise
 * already exists (returns false), so `serve --demo` can call it on every start.
 */
export async function seedDemo(db: Db, now: Date): Promise<boolean> {
  if (await new EntrepriseRepository(db).findByName(DEMO_ENTREPRISE)) return false;
  const actor: AuditActor = { type: 'system', id: null, label: 'seed-demo' };
  const attachmentStart = `${now.getUTCFullYear() - 2}-01-01`;
  await importRegistryCsv(db, demoRegistryCsv(attachmentStart), { source: 'demo-registry.csv', now, actor });
  const hashes = await Promise.all(DEMO_LOGINS.map((login) => hashPassword(login.password)));
  await db.transaction().execute(async (trx) => {
    const entreprise = await new EntrepriseRepository(trx).findByName(DEMO_ENTREPRISE);
    if (!entreprise) throw new Error('demo entreprise missing after registry import');
    const users = new UserRepository(trx);
    const audit = new AuditRepository(trx);
    for (const [index, login] of DEMO_LOGINS.entries()) {
      const id = await users.insert(
        {
          entrepriseId: entreprise.id,
          email: login.email,
          displayName: login.email.split('@')[0]!,
          passwordHash: hashes[index]!,
          habilitations: login.habilitations,
          sirenPerimeter: null,
          active: true,
        },
        now,
      );
      await audit.append(
        {
          actor,
          entrepriseId: entreprise.id,
          action: 'user.created',
          target: `user:${id}`,
          after: { email: login.email, habilitations: login.habilitations },
        },
        now,
      );
    }
  });
  const prms = new PrmRepository(db);
  const today = localDayOf(now);
  const demoPrms: PrmRecord[] = [];
  for (const siren of [DEMO_SIREN_SITES, DEMO_SIREN_RESEAU])
    demoPrms.push(...(await prms.listAttachedOn(siren, today)));
  // History as it would have been collected: the older days in one go a week ago, then each of
  // the last days on the following morning, so the last windows have something to publish.
  const recent = Math.min(DEMO_COLLECTED_DAILY, DEMO_MEASUREMENT_DAYS);
  const collectedOn = (day: string) => new Date(dayStart(day).getTime() + 6 * 3_600_000);
  await generateMeasurements(db, demoPrms, {
    from: addDays(today, -DEMO_MEASUREMENT_DAYS),
    to: addDays(today, -recent),
    seed: 1,
    now: collectedOn(addDays(today, -recent)),
  });
  for (let back = recent; back >= 1; back--) {
    const day = addDays(today, -back);
    await generateMeasurements(db, demoPrms, {
      from: day,
      to: addDays(day, 1),
      seed: 1,
      now: back === 1 ? now : collectedOn(addDays(day, 1)),
    });
  }
  await seedDemoSubscriptions(db, now, actor);
  return true;
}

/** Days of the demo history collected one morning at a time (the windows of the last week). */
const DEMO_COLLECTED_DAILY = 7;

/**
 * Effective subscriptions (asked 11 days ago) on both SIRENs and categories, both formats where
 * allowed, and a confirmed e-mail channel writing to the outbox, so the first start shows an archive
 * with files and deliveries.
 */
async function seedDemoSubscriptions(db: Db, now: Date, actor: AuditActor): Promise<void> {
  const entreprise = (await new EntrepriseRepository(db).findByName(DEMO_ENTREPRISE))!;
  const requestedAt = new Date(now.getTime() - 11 * 24 * 3_600_000);
  const effectiveAt = new Date(requestedAt.getTime() + 72 * 3_600_000);
  const lines: Array<
    [string, 'A' | 'B', 'INDEX' | 'CDC_BRUTE' | 'CDC_CORRIGEE', 'Q' | 'H' | 'M', 'CSV' | 'JSON', boolean]
  > = [
    [DEMO_SIREN_SITES, 'A', 'INDEX', 'H', 'CSV', true],
    [DEMO_SIREN_SITES, 'A', 'CDC_BRUTE', 'Q', 'JSON', true],
    [DEMO_SIREN_SITES, 'A', 'CDC_CORRIGEE', 'H', 'CSV', false],
    [DEMO_SIREN_SITES, 'B', 'CDC_BRUTE', 'Q', 'CSV', true],
    [DEMO_SIREN_SITES, 'B', 'INDEX', 'M', 'JSON', false],
    [DEMO_SIREN_RESEAU, 'B', 'CDC_BRUTE', 'Q', 'JSON', true],
    [DEMO_SIREN_RESEAU, 'B', 'INDEX', 'H', 'JSON', false],
  ];
  await db.transaction().execute(async (trx) => {
    const subscriptions = new SubscriptionRepository(trx);
    const audit = new AuditRepository(trx);
    const channelId = await new ChannelRepository(trx).insert({
      entreprise_id: entreprise.id,
      kind: 'email',
      label: 'Service énergie',
      email: 'energie@demo.publiwatt.fr',
      allow_self_signed: 0,
      insecure_acknowledged: 0,
      status: 'ACTIF',
      confirmed_at: requestedAt.toISOString(),
      created_at: requestedAt.toISOString(),
      updated_at: requestedAt.toISOString(),
    });
    await audit.append(
      {
        actor,
        entrepriseId: entreprise.id,
        action: 'channel.created',
        target: `channel:${channelId}`,
        after: { email: 'energie@demo.publiwatt.fr' },
      },
      now,
    );
    const channels = new SubscriptionChannelRepository(trx);
    for (const [index, [siren, category, dataType, frequency, format, withChannel]] of lines.entries()) {
      const id = await subscriptions.insert({
        entrepriseId: entreprise.id,
        siren,
        category,
        dataType,
        frequency,
        format,
        idDemande: `DEMO${String(index + 1).padStart(4, '0')}`,
        requestedAt,
        effectiveAt,
        requestedBy: actor.label,
      });
      if (withChannel) await channels.replace(id, [channelId], effectiveAt);
      await audit.append(
        {
          actor,
          entrepriseId: entreprise.id,
          action: 'subscription.created',
          target: `subscription:${id}`,
          after: { siren, category, dataType, frequency, format },
        },
        now,
      );
    }
  });
}
