import type { FastifyInstance } from 'fastify';
import { ARCHIVE_FIRST_DAY, oldestAccessibleDay } from '../../../domain/archive-access.js';
import { formatLocal, localDayOf } from '../../../domain/paris-calendar.js';
import type { FluxSearchInput } from '../../../publication/archive/flux-search.js';
import type { FluxSearchPage } from '../../../publication/flux.service.js';
import { frenchMessage } from '../../error-messages.js';
import { localPathOr, sameSiteReferer } from '../../local-redirect.js';
import { Alert, EmptyState, Pagination, StatusBadge } from '../components.js';
import { deliveryProgressText } from '../delivery-progress-text.js';
import { frenchDay, parisDateTimeOf } from '../../../domain/french-dates.js';
import type { PortalContext } from '../portal-context.js';
import {
  field,
  formError,
  formOf,
  idParam,
  portalCaller,
  portalPage,
  queryOf,
  sendPage,
} from '../portal-request.js';

const TITLE = 'Recherche de flux';
const PAGE_SIZE = 20;

const FREQUENCIES: Record<string, string> = { Q: 'Quotidienne', H: 'Hebdomadaire', M: 'Mensuelle' };
const DATA_TYPES: Record<string, string> = {
  INDEX: 'Index',
  CDC_BRUTE: 'Courbe de charge brute',
  CDC_CORRIGEE: 'Courbe de charge corrigée',
};
const DELIVERY_STATUS: Record<string, { tone: 'ok' | 'pending' | 'error' | 'neutral'; label: string }> = {
  delivered: { tone: 'ok', label: 'Envoyé' },
  pending: { tone: 'pending', label: 'En attente' },
  delivering: { tone: 'pending', label: "En cours d'envoi" },
  failed: { tone: 'error', label: 'Échec' },
};

/** A collection window as Paris days (`21/11/2026 → 22/11/2026`), with times when not at midnight. */
function windowLabel(start: Date, end: Date): string {
  const at = (instant: Date) =>
    formatLocal(instant).endsWith(' 00:00:00') ? frenchDay(localDayOf(instant)) : parisDateTimeOf(instant);
  return `${at(start)} → ${at(end)}`;
}

function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace('.', ',')} Ko`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} Mo`;
}

/** "Recherche de flux": the seed's form, paginated results with deliveries per channel, download, re-send. */
export function registerFluxPages(app: FastifyInstance, ctx: PortalContext): void {
  app.get(
    '/portail/flux',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'READ');
      const q = queryOf(request);
      const scope = await ctx.flux.scopeOf(caller.user);
      const sirens = scope.sirens;
      const searched = q.recherche === '1';
      const input: FluxSearchInput = {
        siren: q.siren || undefined,
        dateDebut: q.dateDebut || undefined,
        dateFin: q.dateFin || undefined,
        frequency: q.frequence || undefined,
        fileName: q.nomFichier || undefined,
        dataType: q.typeDonnee || undefined,
        contractNumber: q.contrat || undefined,
        prm: q.prm || undefined,
        page: Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1),
        pageSize: PAGE_SIZE,
      };
      let error: string | undefined;
      let errorField: string | undefined;
      let result: FluxSearchPage | undefined;
      if (searched) {
        try {
          result = await ctx.flux.search(scope, input);
        } catch (failure) {
          const appError = formError(failure, [
            'SEARCH_DATE_BEFORE_ARCHIVE',
            'SEARCH_DATE_OUTSIDE_RETENTION',
            'SEARCH_DATE_RANGE_INVALID',
            'INVALID_DATE',
          ]);
          error = frenchMessage(appError);
          errorField = String(appError.params.field ?? 'dateDebut');
        }
      }
      const deliveries: FluxSearchPage['deliveries'] = result?.deliveries ?? new Map();
      const channels = await ctx.channels.list(caller.actor);
      const channelLabels = new Map(
        channels.map((c) => [c.id, c.label || c.email || c.host || `canal ${c.id}`]),
      );
      const activeChannels = channels.filter((c) => c.status === 'ACTIF');
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(q)) if (value && key !== 'page') params.set(key, value);
      const href = (page: number) => `/portail/flux?${params.toString()}&page=${page}`;
      const now = ctx.clock.now();
      const oldest = frenchDay(oldestAccessibleDay(now));
      const invalid = (name: string) => (errorField === name ? 'true' : undefined);
      return sendPage(reply, {
        title: TITLE,
        viewer: caller.viewer,
        current: '/portail/flux',
        breadcrumb: [
          { label: 'Accueil', href: '/portail' },
          { label: 'Vos données énergétiques' },
          { label: TITLE },
        ],
        children: (
          <>
            <p class="lead">
              Retrouvez les fichiers publiés pour vos abonnements au cours des 4 dernières années (au plus tôt
              le <span safe>{frenchDay(ARCHIVE_FIRST_DAY)}</span>, aujourd'hui à partir du{' '}
              <span safe>{oldest}</span>) et téléchargez-les.
            </p>
            <form method="get" action="/portail/flux" class="card">
              <input type="hidden" name="recherche" value="1" />
              <div class="filters">
                <div class="field">
                  <label for="siren">SIREN</label>
                  <select id="siren" name="siren">
                    <option value="">Tous</option>
                    {sirens.map((s) => (
                      <option value={s} selected={s === q.siren} safe>
                        {s}
                      </option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for="dateDebut">Date de début de publication</label>
                  <input
                    type="date"
                    id="dateDebut"
                    name="dateDebut"
                    value={q.dateDebut ?? ''}
                    aria-invalid={invalid('dateDebut')}
                    aria-describedby={invalid('dateDebut') ? 'erreur-dates' : undefined}
                  />
                </div>
                <div class="field">
                  <label for="dateFin">Date de fin de publication</label>
                  <input
                    type="date"
                    id="dateFin"
                    name="dateFin"
                    value={q.dateFin ?? ''}
                    aria-invalid={invalid('dateFin')}
                    aria-describedby={invalid('dateFin') ? 'erreur-dates' : undefined}
                  />
                </div>
                <div class="field">
                  <label for="frequence">Fréquence</label>
                  <select id="frequence" name="frequence">
                    <option value="">Toutes</option>
                    {Object.entries(FREQUENCIES).map(([code, label]) => (
                      <option value={code} selected={code === q.frequence} safe>
                        {label}
                      </option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for="typeDonnee">Type de donnée</label>
                  <select id="typeDonnee" name="typeDonnee">
                    <option value="">Tous</option>
                    {Object.entries(DATA_TYPES).map(([code, label]) => (
                      <option value={code} selected={code === q.typeDonnee} safe>
                        {label}
                      </option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for="nomFichier">Nom de fichier</label>
                  <input type="text" id="nomFichier" name="nomFichier" value={q.nomFichier ?? ''} />
                </div>
                <div class="field">
                  <label for="contrat">Numéro de contrat</label>
                  <input type="text" id="contrat" name="contrat" value={q.contrat ?? ''} />
                </div>
                <div class="field">
                  <label for="prm">PRM</label>
                  <input
                    type="text"
                    id="prm"
                    name="prm"
                    inputmode="numeric"
                    pattern="\d{14}"
                    value={q.prm ?? ''}
                  />
                </div>
              </div>
              {error ? (
                <p class="error-text" id="erreur-dates" role="alert" safe>
                  {error}
                </p>
              ) : (
                ''
              )}
              <div class="actions">
                <a class="button secondary" href="/portail/flux">
                  Réinitialiser
                </a>
                <button type="submit">Lancer la recherche</button>
              </div>
            </form>
            {!searched || error ? (
              ''
            ) : result && result.items.length > 0 ? (
              <>
                <p role="status">
                  {result.total} fichier{result.total > 1 ? 's' : ''} trouvé
                  {result.total > 1 ? 's' : ''}
                </p>
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Publié le</th>
                        <th scope="col">Fichier</th>
                        <th scope="col">SIREN</th>
                        <th scope="col">Données</th>
                        <th scope="col">Période collectée</th>
                        <th scope="col">Envois</th>
                        <th scope="col">Actions</th>
                      </tr>
                    </thead>
                    <tbody>
                      {result.items.map((item) => (
                        <tr>
                          <td safe>{parisDateTimeOf(item.createdAt)}</td>
                          <td>
                            <code class="file-name" safe>
                              {item.archiveName}
                            </code>
                            <div class="hint" safe>
                              {`${item.format} · ${sizeLabel(item.size)} · ${item.prmCount} PRM · n° ${item.numSequence}`}
                            </div>
                          </td>
                          <td safe>{item.siren}</td>
                          <td
                            safe
                          >{`${DATA_TYPES[item.dataType] ?? item.dataType} — ${FREQUENCIES[item.frequency] ?? item.frequency}`}</td>
                          <td safe>{windowLabel(item.windowStart, item.windowEnd)}</td>
                          <td>
                            {(deliveries.get(item.id) ?? []).length === 0 ? (
                              <span class="hint">Archive seule</span>
                            ) : (
                              <ul class="plain">
                                {(deliveries.get(item.id) ?? []).map((d) => (
                                  <li>
                                    <span safe>
                                      {channelLabels.get(d.channel_id) ?? `canal ${d.channel_id}`}
                                    </span>{' '}
                                    <StatusBadge
                                      tone={DELIVERY_STATUS[d.status]?.tone ?? 'neutral'}
                                      label={`${DELIVERY_STATUS[d.status]?.label ?? d.status}${d.resend_seq > 0 ? ' (renvoi)' : ''}`}
                                    />
                                    {d.status === 'failed' && d.last_error ? (
                                      <div class="hint" safe>
                                        {d.last_error}
                                      </div>
                                    ) : deliveryProgressText(d, now) ? (
                                      <div class="hint" safe>
                                        {deliveryProgressText(d, now)}
                                      </div>
                                    ) : (
                                      ''
                                    )}
                                  </li>
                                ))}
                              </ul>
                            )}
                          </td>
                          <td>
                            <a href={`/portail/flux/${item.id}/fichier`} download={item.archiveName}>
                              Télécharger
                            </a>
                            {caller.can('GESTION_SERVICES_DONNEES') && activeChannels.length > 0 ? (
                              <form method="post" action={`/portail/flux/${item.id}/renvoi`} class="resend">
                                <input type="hidden" name="_csrf" value={caller.viewer.csrfToken} />
                                <label class="sr-only" for={`canal-${item.id}`}>
                                  Canal de renvoi
                                </label>
                                <select id={`canal-${item.id}`} name="channelId">
                                  {activeChannels.map((c) => (
                                    <option value={String(c.id)} safe>
                                      {c.label || c.email || c.host || ''}
                                    </option>
                                  ))}
                                </select>
                                <button type="submit" class="secondary">
                                  Renvoyer
                                </button>
                              </form>
                            ) : (
                              ''
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pagination page={result.page} pageSize={result.pageSize} total={result.total} href={href} />
              </>
            ) : (
              <EmptyState message="Aucun fichier ne correspond à ces critères." />
            )}
            {q.renvoi === 'ok' ? (
              <Alert kind="success">Le fichier sera renvoyé au canal choisi dans quelques instants.</Alert>
            ) : (
              ''
            )}
          </>
        ),
      });
    }),
  );

  app.get(
    '/portail/flux/:id/fichier',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'READ');
      const publication = await ctx.flux.findVisible(caller.user, idParam(request));
      const stream = await ctx.archive.open(publication.storageKey);
      stream.on('error', (error) => reply.raw.destroy(error));
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${publication.archiveName}"`)
        .send(stream);
    }),
  );

  app.post(
    '/portail/flux/:id/renvoi',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_SERVICES_DONNEES');
      const publication = await ctx.flux.findVisible(caller.user, idParam(request));
      const channelId = Number.parseInt(field(formOf(request), 'channelId'), 10);
      await ctx.deliveries.resend(caller.actor, { publicationId: publication.id, channelId });
      // Back to the search the form was on, with its criteria; any other Referer goes to a fixed page.
      const from = sameSiteReferer(request);
      const back = new URL(
        from?.pathname === '/portail/flux' ? `${from.pathname}${from.search}` : '/portail/flux?recherche=1',
        'http://portail',
      );
      back.searchParams.set('renvoi', 'ok');
      return reply.redirect(
        localPathOr(`${back.pathname}${back.search}`, '/portail/flux?recherche=1&renvoi=ok'),
        303,
      );
    }),
  );
}
