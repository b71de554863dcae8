import type { FastifyInstance, FastifyReply } from 'fastify';
import { sirensInScope } from '../../../auth/tenant-scope.js';
import { CurveCollectionService } from '../../../registry/curve-collection.service.js';
import { Alert, EmptyState, Pagination, StatusBadge } from '../components.js';
import { frenchDay } from '../../../domain/french-dates.js';
import type { PortalContext } from '../portal-context.js';
import {
  field,
  fields,
  formOf,
  portalCaller,
  portalPage,
  queryOf,
  sendPage,
  type PortalCaller,
} from '../portal-request.js';

const TITLE = 'Gérer la collecte de la courbe de charge';
const PAGE_SIZE = 50;

async function render(
  ctx: PortalContext,
  caller: PortalCaller,
  reply: FastifyReply,
  query: Record<string, string | undefined>,
) {
  const sirens = await sirensInScope(ctx.db, caller.user);
  const siren = query.siren && sirens.includes(query.siren) ? query.siren : undefined;
  const states = await new CurveCollectionService(ctx.db).list(siren ? [siren] : sirens, ctx.clock.now());
  const page = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1);
  const shown = states.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const editable = caller.can('GESTION_SERVICES_DONNEES');
  const changed = query.modifies;
  const table = (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">
          Compteurs de puissance inférieure ou égale à 36kVA et état de la collecte
        </caption>
        <thead>
          <tr>
            {editable ? (
              <th scope="col">
                <span class="sr-only">Sélection</span>
              </th>
            ) : (
              ''
            )}
            <th scope="col">PRM</th>
            <th scope="col">Libellé</th>
            <th scope="col">SIREN</th>
            <th scope="col">Collecte</th>
            {editable ? <th scope="col">Action</th> : ''}
          </tr>
        </thead>
        <tbody>
          {shown.map((s) => (
            <tr id={`prm-${s.prm.prm}`}>
              {editable ? (
                <td>
                  <label class="checkbox">
                    <input type="checkbox" name="prm" value={s.prm.prm} />
                    <span class="sr-only" safe>{`Sélectionner ${s.prm.prm}`}</span>
                  </label>
                </td>
              ) : (
                ''
              )}
              <td>
                <a href={`/portail/compteurs/${s.prm.prm}`} safe>
                  {s.prm.prm}
                </a>
              </td>
              <td safe>{s.prm.label}</td>
              <td safe>{s.siren}</td>
              <td>
                <StatusBadge
                  tone={s.on ? 'ok' : 'neutral'}
                  label={
                    s.on
                      ? `Activée depuis le ${frenchDay(s.since!)}`
                      : s.since
                        ? `Désactivée depuis le ${frenchDay(s.since)}`
                        : 'Désactivée'
                  }
                />
              </td>
              {editable ? (
                <td>
                  <button
                    type="submit"
                    class="secondary"
                    name="un"
                    value={`${s.on ? 'off' : 'on'}:${s.prm.prm}`}
                  >
                    {s.on ? 'Désactiver' : 'Activer'}
                    <span class="sr-only" safe>{` la collecte de ${s.prm.prm}`}</span>
                  </button>
                </td>
              ) : (
                ''
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
  return sendPage(reply, {
    title: TITLE,
    viewer: caller.viewer,
    current: '/portail/collecte',
    breadcrumb: [
      { label: 'Accueil', href: '/portail' },
      { label: 'Vos données énergétiques' },
      { label: TITLE },
    ],
    children: (
      <>
        <p class="lead">
          La courbe de charge des compteurs de puissance inférieure ou égale à 36kVA n'est collectée que si
          vous l'activez. Un changement prend effet à partir d'aujourd'hui ; les jours sans collecte n'ont pas
          de courbe et ne sont jamais publiés.
        </p>
        {changed !== undefined ? (
          <Alert kind="success">
            <span safe>{`${changed} compteur(s) modifié(s).`}</span>
          </Alert>
        ) : (
          ''
        )}
        <form method="get" action="/portail/collecte" class="filters">
          <div class="field">
            <label for="siren">SIREN</label>
            <select id="siren" name="siren">
              <option value="">Tous</option>
              {sirens.map((s) => (
                <option value={s} selected={s === siren} safe>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="secondary">
            Afficher
          </button>
        </form>
        <p
          class="muted"
          safe
        >{`${states.length} compteur(s), dont ${states.filter((s) => s.on).length} avec collecte activée.`}</p>
        {states.length === 0 ? (
          <EmptyState message="Aucun compteur de puissance inférieure ou égale à 36kVA." />
        ) : editable ? (
          <form method="post" action="/portail/collecte">
            <input type="hidden" name="_csrf" value={caller.viewer.csrfToken} />
            <input type="hidden" name="siren" value={siren ?? ''} />
            <div class="actions">
              <button type="submit" name="lot" value="on">
                Activer la collecte des compteurs sélectionnés
              </button>
              <button type="submit" name="lot" value="off" class="secondary">
                Désactiver la collecte des compteurs sélectionnés
              </button>
            </div>
            {table}
          </form>
        ) : (
          table
        )}
        <Pagination
          page={page}
          pageSize={PAGE_SIZE}
          total={states.length}
          href={(p) => `/portail/collecte?${siren ? `siren=${siren}&` : ''}page=${p}`}
        />
      </>
    ),
  });
}

/** "Gérer la collecte de la courbe de charge": category B PRMs, switched one by one or in bulk. */
export function registerCollectionPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get(
    '/portail/collecte',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply);
      return render(ctx, caller, reply, queryOf(request));
    }),
  );

  app.post(
    '/portail/collecte',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_SERVICES_DONNEES');
      const body = formOf(request);
      const one = /^(on|off):(\d{14})$/.exec(field(body, 'un'));
      const on = one ? one[1] === 'on' : field(body, 'lot') === 'on';
      const prms = one ? [one[2]!] : fields(body, 'prm');
      const changed = await new CurveCollectionService(ctx.db).switch(
        caller.actor,
        await sirensInScope(ctx.db, caller.user),
        prms,
        on,
        ctx.clock.now(),
      );
      const siren = field(body, 'siren');
      return reply.redirect(
        `/portail/collecte?${siren ? `siren=${encodeURIComponent(siren)}&` : ''}modifies=${changed.length}`,
        303,
      );
    }),
  );
}
