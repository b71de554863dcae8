import type { FastifyInstance } from 'fastify';
import { auditEntriesInScope } from '../../../auth/audit-scope.js';
import { EmptyState } from '../components.js';
import { parisDateTimeOf } from '../../../domain/french-dates.js';
import type { PortalContext } from '../portal-context.js';
import { portalCaller, portalPage, queryOf, sendPage } from '../portal-request.js';

const TITLE = 'Journal';
const PAGE_SIZE = 50;

/** Families of actions, as the filter offers them (prefixes of the audit actions). */
const FAMILIES: ReadonlyArray<{ prefix: string; label: string }> = [
  { prefix: 'subscription.', label: 'Abonnements' },
  { prefix: 'channel.', label: 'Canaux numériques' },
  { prefix: 'encryption-key.', label: 'Clé de chiffrement' },
  { prefix: 'user.', label: 'Utilisateurs' },
  { prefix: 'prm.', label: 'Collecte de la courbe de charge' },
  { prefix: 'registry.', label: 'Registre des compteurs' },
];

function summary(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** "Journal": the audit log within the user's perimeter (who, when, what), newest first, filterable. */
export function registerJournalPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get(
    '/portail/journal',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_UTILISATEURS');
      const q = queryOf(request);
      const family = FAMILIES.find((f) => f.prefix === q.action);
      const page = Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1);
      const entries = await auditEntriesInScope(ctx.db, caller.user, {
        ...(family ? { action: family.prefix } : {}),
        limit: PAGE_SIZE + 1,
        offset: (page - 1) * PAGE_SIZE,
      });
      const hasNext = entries.length > PAGE_SIZE;
      const href = (p: number) =>
        `/portail/journal?${family ? `action=${encodeURIComponent(family.prefix)}&` : ''}page=${p}`;
      return sendPage(reply, {
        title: TITLE,
        viewer: caller.viewer,
        current: '/portail/journal',
        breadcrumb: [{ label: 'Accueil', href: '/portail' }, { label: TITLE }],
        children: (
          <>
            <form method="get" action="/portail/journal" class="filters">
              <div class="field">
                <label for="action">Type d'action</label>
                <select id="action" name="action">
                  <option value="">Toutes</option>
                  {FAMILIES.map((f) => (
                    <option value={f.prefix} selected={f === family} safe>
                      {f.label}
                    </option>
                  ))}
                </select>
              </div>
              <button type="submit" class="secondary">
                Filtrer
              </button>
            </form>
            {entries.length === 0 ? (
              <EmptyState message="Aucune entrée." />
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col">Auteur</th>
                      <th scope="col">Action</th>
                      <th scope="col">Objet</th>
                      <th scope="col">Après</th>
                    </tr>
                  </thead>
                  <tbody>
                    {entries.slice(0, PAGE_SIZE).map((e) => (
                      <tr>
                        <td safe>{parisDateTimeOf(e.at)}</td>
                        <td safe>{e.actor.label}</td>
                        <td>
                          <code safe>{e.action}</code>
                        </td>
                        <td safe>{e.target}</td>
                        <td class="hint" safe>
                          {summary(e.after)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <nav class="pagination" aria-label="Pagination">
              {page > 1 ? (
                <a href={href(page - 1)}>« Précédente</a>
              ) : (
                <span class="disabled">« Précédente</span>
              )}
              <span>Page {page}</span>
              {hasNext ? <a href={href(page + 1)}>Suivante »</a> : <span class="disabled">Suivante »</span>}
            </nav>
          </>
        ),
      });
    }),
  );
}
