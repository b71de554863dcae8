#!/usr/bin/env node
// Mutation testing: does the suite notice a plausible bug? Each mutation below rewrites one spot of the
// code (a flipped comparison, an off-by-one, a dropped check …), runs the few test files that should
// catch it on SQLite, and counts it KILLED if they fail, SURVIVED if they pass. The file's original bytes
// are always put back (finally, and on SIGINT/SIGTERM).
// Usage: npm run mutation -- [--only <id-substring>] [--min <percent>] [--check] [--copy]
//   --only   runs the mutations whose id contains the text (repeatable)
//   --min    the overall score below which the command exits 1 (default 90)
//   --check  only checks the list (each `find` occurs exactly once, each test filter names a file)
//   --copy   mutates a throwaway copy of the working tree instead of the tree itself
// In place, a file with uncommitted changes is never mutated: the run refuses to start.
// See docs/testing.md ("Mutation testing").
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
/** A mutation whose tests run longer than this is counted killed (the suite noticed: it hung). */
const RUN_TIMEOUT_MS = 150_000;

/** Score groups: a mutated file belongs to the first group whose test holds. */
const GROUPS = [
  { name: 'domain rules', holds: (file) => file.startsWith('src/domain/') },
  { name: 'subscription service', holds: (file) => file.startsWith('src/subscriptions/') },
  {
    name: 'tenant scope',
    holds: (file) => file.startsWith('src/auth/') || file === 'src/publication/archive/flux-search.ts',
  },
  { name: 'delivery retry', holds: (file) => file.startsWith('src/delivery/') },
];

/**
 * The mutations. `find` must occur exactly once in `file`; `tests` are `npm test` filters (the smallest
 * set of test files that should catch it); `why` is the bug a survivor would let through.
 */
const MUTATIONS = [
  // --- src/domain/identifiers.ts
  {
    id: 'siren-luhn-doubles-wrong-digits',
    file: 'src/domain/identifiers.ts',
    find: 'if (i % 2 === 1) {',
    replace: 'if (i % 2 === 0) {',
    tests: ['src/domain/identifiers.test.ts'],
    why: 'the Luhn check doubles the wrong digits: valid SIRENs refused, invalid ones accepted',
  },
  {
    id: 'siren-accepts-8-digits',
    file: 'src/domain/identifiers.ts',
    find: 'if (!/^\\d{9}$/.test(trimmed)) {',
    replace: 'if (!/^\\d{8,9}$/.test(trimmed)) {',
    tests: ['src/domain/identifiers.test.ts'],
    why: 'an 8-digit number passing Luhn is taken for a SIREN',
  },
  {
    id: 'prm-accepts-13-digits',
    file: 'src/domain/identifiers.ts',
    find: 'return /^\\d{14}$/.test(value);',
    replace: 'return /^\\d{13,14}$/.test(value);',
    tests: ['src/domain/identifiers.test.ts'],
    why: 'a PRM of 13 digits is accepted',
  },
  {
    id: 'segment-c4-in-category-b',
    file: 'src/domain/identifiers.ts',
    find: "return segment === 'C5' ? 'B' : 'A';",
    replace: "return segment === 'C5' || segment === 'C4' ? 'B' : 'A';",
    tests: ['src/domain/identifiers.test.ts'],
    why: 'C4 (> 36 kVA) is filed under category B: wrong flux (R63B) and wrong catalog',
  },
  {
    id: 'c5-refuses-36-kva',
    file: 'src/domain/identifiers.ts',
    find: "if (category === 'B' && kva > 36) {",
    replace: "if (category === 'B' && kva >= 36) {",
    tests: ['src/domain/identifiers.test.ts'],
    why: 'a C5 meter of exactly 36 kVA is refused',
  },
  // --- src/domain/catalog.ts
  {
    id: 'catalog-corrected-curve-for-b',
    file: 'src/domain/catalog.ts',
    find: "B: ['INDEX', 'CDC_BRUTE'],",
    replace: "B: ['INDEX', 'CDC_BRUTE', 'CDC_CORRIGEE'],",
    tests: ['src/domain/catalog.test.ts'],
    why: 'the corrected curve is offered to category B, where none exists',
  },
  {
    id: 'catalog-any-frequency',
    file: 'src/domain/catalog.ts',
    find: ' &&\n    (FREQUENCIES as readonly string[]).includes(frequency)',
    replace: '',
    tests: ['src/domain/catalog.test.ts'],
    why: 'an unknown frequency passes the catalog check',
  },
  {
    id: 'catalog-code-flux-swapped',
    file: 'src/domain/catalog.ts',
    find: "dataType === 'INDEX' ? 'R64' : 'R63'",
    replace: "dataType === 'INDEX' ? 'R63' : 'R64'",
    tests: ['src/domain/catalog.test.ts'],
    why: 'index readings published as R63 and curves as R64',
  },
  // --- src/domain/subscription-rules.ts
  {
    id: 'csv-refused-at-100',
    file: 'src/domain/subscription-rules.ts',
    find: 'return prmCount <= CSV_PRM_LIMIT;',
    replace: 'return prmCount < CSV_PRM_LIMIT;',
    tests: ['src/domain/subscription-rules.test.ts'],
    why: 'CSV refused at exactly 100 PRM',
  },
  {
    id: 'csv-allowed-at-101',
    file: 'src/domain/subscription-rules.ts',
    find: 'export const CSV_PRM_LIMIT = 100;',
    replace: 'export const CSV_PRM_LIMIT = 101;',
    tests: ['src/domain/subscription-rules.test.ts'],
    why: 'CSV allowed at 101 PRM',
  },
  {
    id: 'activation-delay-48h',
    file: 'src/domain/subscription-rules.ts',
    find: 'export const ACTIVATION_DELAY_MS = 72 * 60 * 60 * 1000;',
    replace: 'export const ACTIVATION_DELAY_MS = 48 * 60 * 60 * 1000;',
    tests: ['src/domain/subscription-rules.test.ts'],
    why: 'a subscription becomes effective after 48 h instead of 72 h',
  },
  {
    id: 'effective-exclusive',
    file: 'src/domain/subscription-rules.ts',
    find: 'return now.getTime() >= subscription.effectiveAt.getTime()',
    replace: 'return now.getTime() > subscription.effectiveAt.getTime()',
    tests: ['src/domain/subscription-rules.test.ts'],
    why: 'still pending at exactly 72 h',
  },
  {
    id: 'format-change-same-window',
    file: 'src/domain/subscription-rules.ts',
    find: 'if (change.from.getTime() <= windowStart.getTime() ||',
    replace: 'if (change.from.getTime() < windowStart.getTime() ||',
    tests: ['src/domain/subscription-rules.test.ts'],
    why: 'a format change made at a window start is not applied to that window',
  },
  {
    id: 'format-prm-limit-waits',
    file: 'src/domain/subscription-rules.ts',
    find: " || change.cause === 'PRM_LIMIT'",
    replace: '',
    tests: ['src/domain/subscription-rules.test.ts'],
    why: 'a switch to JSON forced by the 100-PRM rule waits for the next window',
  },
  // --- src/domain/habilitation-rules.ts
  {
    id: 'rights-change-by-any-reader',
    file: 'src/domain/habilitation-rules.ts',
    find: "requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');",
    replace: "requireHabilitation(actor.habilitations, 'READ');",
    tests: ['src/domain/habilitation-rules.test.ts'],
    why: 'a user without GESTION_UTILISATEURS grants rights (GESTION_SERVICES_DONNEES among them)',
  },
  {
    id: 'self-habilitation-widening',
    file: 'src/domain/habilitation-rules.ts',
    find: 'const widened = nextHabilitations.some((h) => !target.habilitations.includes(h));',
    replace: 'const widened = false;',
    tests: ['src/domain/habilitation-rules.test.ts'],
    why: 'a user grants themselves a habilitation they lack',
  },
  {
    id: 'self-perimeter-widening',
    file: 'src/domain/habilitation-rules.ts',
    find: 'if (widened || !perimeterWithin(nextPerimeter, target.sirenPerimeter)) {',
    replace: 'if (widened) {',
    tests: ['src/domain/habilitation-rules.test.ts'],
    why: 'a user widens their own SIREN perimeter',
  },
  // --- src/domain/retry-policy.ts
  {
    id: 'retry-window-48h',
    file: 'src/domain/retry-policy.ts',
    find: 'export const RETRY_WINDOW_MS = 72 * 3600_000;',
    replace: 'export const RETRY_WINDOW_MS = 48 * 3600_000;',
    tests: ['src/domain/retry-policy.test.ts'],
    why: 'deliveries given up after 48 h instead of 72 h',
  },
  {
    id: 'retry-failure-at-deadline-retried',
    file: 'src/domain/retry-policy.ts',
    find: 'if (input.failedAt.getTime() >= deadline) return',
    replace: 'if (input.failedAt.getTime() > deadline) return',
    tests: ['src/domain/retry-policy.test.ts'],
    why: 'a failure at the 72 h deadline is retried instead of final',
  },
  {
    id: 'retry-jitter-full-range',
    file: 'src/domain/retry-policy.ts',
    find: 'const delay = nominal / 2 + (nominal / 2) * input.random;',
    replace: 'const delay = nominal * input.random;',
    tests: ['src/domain/retry-policy.test.ts'],
    why: 'jitter below half the nominal delay (retries almost at once)',
  },
  {
    id: 'retry-doubling-off-by-one',
    file: 'src/domain/retry-policy.ts',
    find: 'baseMs * 2 ** Math.max(0, attempts - 1)',
    replace: 'baseMs * 2 ** Math.max(0, attempts)',
    tests: ['src/domain/retry-policy.test.ts'],
    why: 'the first retry waits 2 min instead of 1',
  },
  {
    id: 'retry-cap-12h',
    file: 'src/domain/retry-policy.ts',
    find: 'export const DELIVERY_MAX_DELAY_MS = 6 * 3600_000;',
    replace: 'export const DELIVERY_MAX_DELAY_MS = 12 * 3600_000;',
    tests: ['src/domain/retry-policy.test.ts'],
    why: 'delivery backoff capped at 12 h instead of 6 h',
  },
  {
    id: 'retry-past-deadline',
    file: 'src/domain/retry-policy.ts',
    find: 'new Date(Math.min(input.failedAt.getTime() + delay, deadline))',
    replace: 'new Date(input.failedAt.getTime() + delay)',
    tests: ['src/domain/retry-policy.test.ts'],
    why: 'the last attempt is scheduled after the 72 h deadline',
  },
  {
    id: 'run-alert-on-7th',
    file: 'src/domain/retry-policy.ts',
    find: 'export const FAST_ATTEMPTS = 8;',
    replace: 'export const FAST_ATTEMPTS = 7;',
    tests: ['src/domain/retry-policy.test.ts'],
    why: 'operators alerted after the 7th failed run attempt instead of the 8th',
  },
  // --- src/domain/publication-windows.ts
  {
    id: 'weekly-window-on-sunday',
    file: 'src/domain/publication-windows.ts',
    find: "return local.startOf('week');",
    replace: "return local.startOf('week').minus({ days: 1 });",
    tests: ['src/domain/publication-windows.test.ts'],
    why: 'weekly windows start on Sunday instead of Monday',
  },
  {
    id: 'monthly-window-30-days',
    file: 'src/domain/publication-windows.ts',
    find: 'return local.plus({ months: 1 });',
    replace: 'return local.plus({ days: 30 });',
    tests: ['src/domain/publication-windows.test.ts'],
    why: 'monthly windows of 30 days: the next one does not start on the 1st',
  },
  {
    id: 'daily-window-24h',
    file: 'src/domain/publication-windows.ts',
    find: 'return local.plus({ days: 1 });',
    replace: 'return local.plus({ hours: 24 });',
    tests: ['src/domain/publication-windows.test.ts'],
    why: 'a DST day window lasts 24 h: windows drift off local midnight',
  },
  {
    id: 'window-ended-exclusive',
    file: 'src/domain/publication-windows.ts',
    find: 'while (window.end.getTime() <= now.getTime() &&',
    replace: 'while (window.end.getTime() < now.getTime() &&',
    tests: ['src/domain/publication-windows.test.ts'],
    why: 'a window ending exactly now is not yet published',
  },
  // --- src/domain/paris-calendar.ts
  {
    id: 'day-always-24h',
    file: 'src/domain/paris-calendar.ts',
    find: 'return { start: dayStart(day), end: dayStart(addDays(day, 1)) };',
    replace: 'return { start: dayStart(day), end: new Date(dayStart(day).getTime() + 86_400_000) };',
    tests: ['src/domain/paris-calendar.test.ts'],
    why: 'DST days of 23 and 25 h get 24 h worth of points',
  },
  {
    id: 'timestamp-start-end-swapped',
    file: 'src/domain/paris-calendar.ts',
    find: "return formatLocal(category === 'A' ? startMs :",
    replace: "return formatLocal(category === 'B' ? startMs :",
    tests: ['src/domain/paris-calendar.test.ts'],
    why: 'category A stamped at the interval end and B at its start',
  },
  // --- src/domain/archive-access.ts
  {
    id: 'archive-retention-5-years',
    file: 'src/domain/archive-access.ts',
    find: 'export const RETENTION_YEARS = 4;',
    replace: 'export const RETENTION_YEARS = 5;',
    tests: ['src/domain/archive-access.test.ts'],
    why: 'the archive searchable for 5 years instead of 4',
  },
  {
    id: 'archive-first-day-off-by-one',
    file: 'src/domain/archive-access.ts',
    find: 'if (day < ARCHIVE_FIRST_DAY) {',
    replace: 'if (day <= ARCHIVE_FIRST_DAY) {',
    tests: ['src/domain/archive-access.test.ts'],
    why: 'a search from 09/08/2018, the first archived day, is refused',
  },
  {
    id: 'archive-oldest-day-refused',
    file: 'src/domain/archive-access.ts',
    find: 'if (day < oldest) {',
    replace: 'if (day <= oldest) {',
    tests: ['src/domain/archive-access.test.ts'],
    why: 'the oldest day of the 4-year window is refused',
  },
  // --- src/domain/email-address.ts
  {
    id: 'email-254-refused',
    file: 'src/domain/email-address.ts',
    find: 'if (email.length > MAX_EMAIL_LENGTH)',
    replace: 'if (email.length >= MAX_EMAIL_LENGTH)',
    tests: ['src/domain/email-address.test.ts'],
    why: 'an address of exactly 254 characters is refused',
  },
  // --- src/domain/outbound-address.ts
  {
    id: 'outbound-loopback-narrowed',
    file: 'src/domain/outbound-address.ts',
    find: "[cidr('127.0.0.0/8'), 'loopback'],",
    replace: "[cidr('127.0.0.0/16'), 'loopback'],",
    tests: ['src/domain/outbound-address.test.ts'],
    why: '127.1.2.3 (still loopback) is allowed',
  },
  {
    id: 'outbound-ipv4-mapped-allowed',
    file: 'src/domain/outbound-address.ts',
    find: "[cidr('::ffff:0:0/96'), 12], // IPv4-mapped",
    replace: '',
    tests: ['src/domain/outbound-address.test.ts'],
    why: '::ffff:127.0.0.1 reaches loopback',
  },
  {
    id: 'outbound-localhost-subdomain',
    file: 'src/domain/outbound-address.ts',
    find: "return name === 'localhost' || name.endsWith('.localhost');",
    replace: "return name === 'localhost';",
    tests: ['src/domain/outbound-address.test.ts'],
    why: 'a.localhost (always this machine) is allowed',
  },
  // --- src/subscriptions/
  {
    id: 'service-subscribe-csv-unchecked',
    file: 'src/subscriptions/subscription.service.ts',
    find: "checkFormatAllowed(edit.format, prmCount);\n            planned.push({ kind: 'subscribe'",
    replace: "planned.push({ kind: 'subscribe'",
    tests: ['test/subscriptions/subscription.service.test.ts'],
    why: 'subscribing in CSV above 100 PRM is accepted',
  },
  {
    id: 'service-format-change-csv-unchecked',
    file: 'src/subscriptions/subscription.service.ts',
    find: "checkFormatAllowed(edit.format, prmCount);\n            planned.push({ kind: 'format'",
    replace: "planned.push({ kind: 'format'",
    tests: ['test/subscriptions/subscription.service.test.ts'],
    why: 'a format change to CSV above 100 PRM is accepted',
  },
  {
    id: 'service-effective-at-once',
    file: 'src/subscriptions/subscription.service.ts',
    find: 'effectiveAt: effectiveAtFor(now),',
    replace: 'effectiveAt: now,',
    tests: ['test/subscriptions/subscription.service.test.ts'],
    why: 'a new subscription is effective at once instead of 72 h later',
  },
  {
    id: 'json-switch-at-100',
    file: 'src/subscriptions/json-above-limit.ts',
    find: 'if (isCsvAllowed(count)) continue;',
    replace: 'if (count < CSV_PRM_LIMIT) continue;',
    tests: ['test/subscriptions/subscription.service.test.ts'],
    why: 'a CSV subscription is switched to JSON at exactly 100 PRM',
  },
  {
    id: 'json-switch-next-window',
    file: 'src/subscriptions/json-above-limit.ts',
    find: "'JSON', now, 'PRM_LIMIT'",
    replace: "'JSON', now, 'REQUEST'",
    tests: ['test/subscriptions/subscription.service.test.ts'],
    why: 'the forced switch to JSON waits for the next window instead of the next publication',
  },
  {
    id: 'json-count-shared-by-categories',
    file: 'src/subscriptions/json-above-limit.ts',
    find: 'const key = `${subscription.siren}/${subscription.category}`;',
    replace: 'const key = subscription.siren;',
    tests: ['test/subscriptions/subscription.service.test.ts'],
    why: "one category's PRM count decides for the other category of the SIREN",
  },
  // --- tenant scope
  {
    id: 'tenant-siren-of-other-entreprise',
    file: 'src/auth/tenant-scope.ts',
    find: 'owner.entrepriseId === user.entrepriseId &&',
    replace: '',
    tests: ['test/web/cross-tenant.test.ts'],
    why: 'a SIREN of another entreprise is visible',
  },
  {
    id: 'tenant-siren-outside-perimeter',
    file: 'src/auth/tenant-scope.ts',
    find: ' &&\n    (user.sirenPerimeter === null || user.sirenPerimeter.includes(siren));',
    replace: ';',
    tests: ['test/web/cross-tenant.test.ts'],
    why: "a SIREN of the entreprise outside the user's perimeter is visible",
  },
  {
    id: 'tenant-sirens-ignore-perimeter',
    file: 'src/auth/tenant-scope.ts',
    find: 'all.filter((s) => user.sirenPerimeter!.includes(s))',
    replace: 'all',
    tests: ['test/web/cross-tenant.test.ts'],
    why: 'lists show every SIREN of the entreprise to a user limited to some',
  },
  {
    id: 'prm-attachments-unscoped',
    file: 'src/auth/prm-scope.ts',
    find: '(await prms.attachmentsOf(prm)).filter((a) => sirens.has(a.siren))',
    replace: 'await prms.attachmentsOf(prm)',
    tests: ['test/web/cross-tenant.test.ts'],
    why: 'a PRM attached to a SIREN outside the scope is readable',
  },
  {
    id: 'prm-day-after-detachment',
    file: 'src/auth/prm-scope.ts',
    find: 'day < a.endDate',
    replace: 'day <= a.endDate',
    tests: ['test/web/prm-measurements-api.test.ts'],
    why: 'the day a PRM was detached is still readable by its former SIREN',
  },
  {
    id: 'audit-users-outside-perimeter',
    file: 'src/auth/audit-scope.ts',
    find: 'perimeterWithin(u.sirenPerimeter, user.sirenPerimeter),',
    replace: 'u.entrepriseId === user.entrepriseId,',
    tests: ['test/web/perimeters.test.ts'],
    why: 'a limited manager reads the audit entries of users beyond its perimeter',
  },
  {
    id: 'audit-recorded-perimeters-ignored',
    file: 'src/auth/audit-scope.ts',
    find: '.some((p) => !perimeterWithin(p, user.sirenPerimeter))',
    replace: '.some(() => false)',
    tests: ['test/web/perimeters.test.ts'],
    why: "a user entry recording a perimeter beyond the reader's (before/after) is shown",
  },
  {
    id: 'flux-siren-filter-not-intersected',
    file: 'src/publication/archive/flux-search.ts',
    find: 'scope.sirens.filter((s) => s === input.siren)',
    replace: '[input.siren]',
    tests: ['test/publication/flux-api.test.ts'],
    why: "?siren= reaches the publications of a SIREN outside the caller's scope",
  },
  {
    id: 'flux-entreprise-filter-dropped',
    file: 'src/publication/archive/flux-search.ts',
    find: 'items.filter((p) => p.entrepriseId === scope.entrepriseId)',
    replace: 'items',
    tests: ['test/publication/flux-api.test.ts'],
    why: "publications of the caller's SIRENs made for another entreprise are listed",
  },
  {
    id: 'flux-no-date-no-retention',
    file: 'src/publication/archive/flux-search.ts',
    find: 'const from = input.dateDebut ? dayStart(input.dateDebut) : oldest;',
    replace: 'const from = input.dateDebut ? dayStart(input.dateDebut) : new Date(0);',
    tests: ['test/publication/flux-api.test.ts'],
    why: 'a search without dates lists publications older than the 4-year window',
  },
  // --- delivery retry in use
  {
    id: 'dispatcher-window-restarts',
    file: 'src/delivery/dispatcher.ts',
    find: 'firstAttemptAt: new Date(row.first_attempt_at ?? now.toISOString()),',
    replace: 'firstAttemptAt: now,',
    tests: ['test/delivery/dispatcher.test.ts'],
    why: 'the 72 h window restarts at every failure: a delivery is never given up',
  },
  {
    id: 'dispatcher-backoff-off-by-one',
    file: 'src/delivery/dispatcher.ts',
    find: 'attempts: row.attempts,\n      firstAttemptAt',
    replace: 'attempts: row.attempts + 1,\n      firstAttemptAt',
    tests: ['test/delivery/dispatcher.test.ts'],
    why: 'each retry waits twice as long as the policy says',
  },
  {
    id: 'progress-give-up-from-now',
    file: 'src/delivery/delivery-progress.ts',
    find: 'return new Date(Date.parse(row.first_attempt_at) + RETRY_WINDOW_MS);',
    replace: 'return new Date(Date.now() + RETRY_WINDOW_MS);',
    tests: ['src/web/portal/delivery-progress-text.test.ts', 'test/web/delivery-progress.test.ts'],
    why: 'the customer is told retries end 72 h from now, not from the first attempt',
  },
  {
    id: 'progress-next-attempt-wrong-column',
    file: 'src/delivery/delivery-progress.ts',
    find: 'nextAttemptAt: new Date(row.next_attempt_at),',
    replace: 'nextAttemptAt: new Date(row.first_attempt_at!),',
    tests: ['src/web/portal/delivery-progress-text.test.ts', 'test/web/delivery-progress.test.ts'],
    why: 'the customer is told the next attempt is when the first one was',
  },
  {
    id: 'progress-failed-still-retrying',
    file: 'src/delivery/delivery-progress.ts',
    find: "if (row.status !== 'pending' && row.status !== 'delivering') return null;",
    replace: "if (row.status === 'delivered') return null;",
    tests: ['src/web/portal/delivery-progress-text.test.ts', 'test/web/delivery-progress.test.ts'],
    why: 'a failed delivery is still shown with an end of retries',
  },
];

function fail(message) {
  console.error(`mutation: ${message}`);
  process.exit(2);
}

function groupOf(file) {
  return GROUPS.find((g) => g.holds(file))?.name;
}

function walkTests(root, dir, out) {
  for (const entry of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, entry);
    if (statSync(path.join(root, rel)).isDirectory()) walkTests(root, rel, out);
    else if (/\.test\.tsx?$/.test(entry)) out.push(rel);
  }
  return out;
}

/** Fails loudly on a list that no longer matches the code: the list cannot rot silently. */
function checkList(root) {
  const problems = [];
  const ids = new Set();
  const testFiles = [...walkTests(root, 'src', []), ...walkTests(root, 'test', [])];
  for (const m of MUTATIONS) {
    if (ids.has(m.id)) problems.push(`${m.id}: duplicate id`);
    ids.add(m.id);
    if (!groupOf(m.file)) problems.push(`${m.id}: ${m.file} is in no score group`);
    if (!m.why || m.tests.length === 0) problems.push(`${m.id}: needs a why and at least one test filter`);
    if (m.find === m.replace) problems.push(`${m.id}: replace equals find`);
    let text;
    try {
      text = readFileSync(path.join(root, m.file), 'utf8');
    } catch {
      problems.push(`${m.id}: ${m.file} does not exist`);
      continue;
    }
    const count = text.split(m.find).length - 1;
    if (count !== 1) problems.push(`${m.id}: "${m.find}" occurs ${count} times in ${m.file}, not once`);
    for (const filter of m.tests) {
      if (!testFiles.some((f) => f.includes(filter)))
        problems.push(`${m.id}: no test file matches ${filter}`);
    }
  }
  if (problems.length > 0) fail(`the mutation list is out of date:\n  ${problems.join('\n  ')}`);
}

/** A throwaway copy of the working tree (tracked and untracked files, node_modules linked). */
function copyTree() {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (listed.status !== 0) fail(`git ls-files failed: ${listed.stderr}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'publiwatt-mutation-'));
  for (const rel of listed.stdout.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, rel);
    if (!statSync(from, { throwIfNoEntry: false })?.isFile()) continue; // deleted, not yet committed
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    copyFileSync(from, path.join(dir, rel));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const { values: options } = parseArgs({
  options: {
    only: { type: 'string', multiple: true, default: [] },
    min: { type: 'string', default: '90' },
    check: { type: 'boolean', default: false },
    copy: { type: 'boolean', default: false },
  },
});
const minScore = Number(options.min);
if (!(minScore >= 0 && minScore <= 100)) fail(`--min "${options.min}" is not a percentage`);

checkList(ROOT);
const selected = MUTATIONS.filter(
  (m) => options.only.length === 0 || options.only.some((s) => m.id.includes(s)),
);
if (selected.length === 0) fail(`no mutation id contains ${options.only.join(', ')}`);
if (options.check) {
  console.log(`${MUTATIONS.length} mutations, each found exactly once; every test filter names a file`);
  process.exit(0);
}

const mutatedFiles = [...new Set(selected.map((m) => m.file))];
if (!options.copy) {
  // A mutated file is rewritten in place: one with uncommitted changes could lose them (a kill -9).
  const dirty = mutatedFiles.filter((file) => {
    const status = spawnSync('git', ['status', '--porcelain', '--', file], { cwd: ROOT, encoding: 'utf8' });
    if (status.status !== 0) fail(`git status failed on ${file}: ${status.stderr}`);
    return status.stdout.trim() !== '';
  });
  if (dirty.length > 0) {
    fail(
      `refusing to mutate files with uncommitted changes (commit them, or use --copy):\n  ${dirty.join('\n  ')}`,
    );
  }
}

const workRoot = options.copy ? copyTree() : ROOT;
const logDir = path.join(ROOT, '.tmp', 'mutation');
mkdirSync(logDir, { recursive: true });

/** The file currently mutated and its original bytes, so any way out puts them back. */
let current;
let child;

function restore() {
  if (!current) return;
  writeFileSync(current.path, current.original);
  if (!readFileSync(current.path).equals(current.original)) {
    console.error(`mutation: could not restore ${current.path}`);
    process.exitCode = 2;
  }
  current = undefined;
}

function cleanUp() {
  restore();
  if (options.copy) rmSync(workRoot, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL'); // the runner and the test processes under it
      } catch {
        // already gone
      }
    }
    cleanUp();
    console.error(`\nmutation: stopped by ${signal}; every file is restored`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', cleanUp);

// A mutant may loop forever in synchronous code, where no test timeout can fire: RUN_TIMEOUT_MS ends it.
const testEnv = { ...process.env, PUBLIWATT_TEST_ENGINES: 'sqlite' };
delete testEnv.NODE_TEST_CONTEXT;

/** Runs the test files named by `filters`; resolves to the exit code (null on a timeout). */
function runTests(filters, logFile) {
  return new Promise((resolve) => {
    const chunks = [];
    child = spawn(process.execPath, [path.join(workRoot, 'scripts/run-tests.mjs'), ...filters], {
      cwd: workRoot,
      env: testEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a stop kills the test processes too
    });
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child = undefined;
      writeFileSync(logFile, Buffer.concat(chunks));
      resolve(signal ? null : code);
    });
  });
}

const started = Date.now();
const seconds = (from) => ((Date.now() - from) / 1000).toFixed(1);

// Without mutation every test file used must pass, or every mutation would be "killed" for nothing.
const baselineFilters = [...new Set(selected.flatMap((m) => m.tests))];
console.log(`baseline: ${baselineFilters.length} test files${options.copy ? ` (copy in ${workRoot})` : ''}`);
const baselineStart = Date.now();
const baseline = await runTests(baselineFilters, path.join(logDir, 'baseline.log'));
if (baseline !== 0) {
  cleanUp();
  fail(`the tests fail without any mutation (see ${path.relative(ROOT, logDir)}/baseline.log)`);
}
console.log(`baseline: passed in ${seconds(baselineStart)} s\n`);

const results = [];
try {
  for (const m of selected) {
    const file = path.join(workRoot, m.file);
    const original = readFileSync(file);
    const text = original.toString('utf8');
    if (text.split(m.find).length !== 2) fail(`${m.id}: "${m.find}" is no longer found once in ${m.file}`);
    const t0 = Date.now();
    current = { path: file, original };
    let code;
    try {
      writeFileSync(
        file,
        text.replace(m.find, () => m.replace),
      );
      code = await runTests(m.tests, path.join(logDir, `${m.id}.log`));
    } finally {
      restore();
    }
    const outcome = code === 0 ? 'SURVIVED' : 'killed';
    results.push({ ...m, group: groupOf(m.file), killed: code !== 0 });
    console.log(
      `${m.id.padEnd(40)} ${outcome.padEnd(8)} ${seconds(t0).padStart(6)} s${code === null ? ' (timed out)' : ''}`,
    );
  }
} finally {
  cleanUp();
}

const percent = (k, n) => (n === 0 ? 100 : (100 * k) / n);
const line = (name, rows) => {
  const killed = rows.filter((r) => r.killed).length;
  return `${name.padEnd(22)} ${String(killed).padStart(3)} / ${String(rows.length).padEnd(3)} ${percent(killed, rows.length).toFixed(1).padStart(5)} %`;
};
console.log('\nscore (killed / total)');
for (const group of GROUPS) {
  const rows = results.filter((r) => r.group === group.name);
  if (rows.length > 0) console.log(line(group.name, rows));
}
console.log(line('overall', results));
const survivors = results.filter((r) => !r.killed);
if (survivors.length > 0) {
  console.log('\nsurvivors (a bug the tests would let through):');
  for (const s of survivors) console.log(`- ${s.id} (${s.file}): ${s.why}; tests: ${s.tests.join(' ')}`);
}
console.log(`\nmutation: ${results.length} mutations in ${Math.round((Date.now() - started) / 1000)} s`);
const overall = percent(results.length - survivors.length, results.length);
if (overall < minScore) {
  console.error(`mutation: overall score ${overall.toFixed(1)} % is below --min ${minScore} %`);
  process.exit(1);
}
