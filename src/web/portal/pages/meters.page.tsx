import type { FastifyInstance } from 'fastify';
import { dayInAttachments, requirePrmInScope } from '../../../auth/prm-scope.js';
import { sirensInScope } from '../../../auth/tenant-scope.js';
import { addDays, localDayOf } from '../../../domain/paris-calendar.js';
import { readPrmMeasurements } from '../../../meterdata/prm-measurements.js';
import { EmptyState, Pagination } from '../components.js';
import { frenchDay } from '../../../domain/french-dates.js';
import type { PortalContext } from '../portal-context.js';
import { portalCaller, portalPage, queryOf, sendPage } from '../portal-request.js';

const TITLE = 'Vos compteurs';
const PAGE_SIZE = 25;
const SEGMENTS = ['C1', 'C2', 'C4', 'C5'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "Vos compteurs": the PRMs of the user's perimeter, filtered and paginated, and one PRM's page. */
export function registerMetersPages(app: FastifyInstance, ctx: PortalContext): void {
  app.get(
    '/portail/compteurs',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply);
      const q = queryOf(request);
      const sirens = await sirensInScope(ctx.db, caller.user);
      const today = localDayOf(ctx.clock.now());
      const rows = await ctx.prms.attachedOn(
        sirens.filter((siren) => !q.siren || q.siren === siren),
        today,
      );
      const text = (q.texte ?? '').trim().toLowerCase();
      const filtered = rows.filter(
        (r) =>
          (!q.segment || r.segment === q.segment) &&
          (!q.categorie || r.category === q.categorie) &&
          (!text ||
            r.prm.includes(text) ||
            r.label.toLowerCase().includes(text) ||
            r.contractNumber.toLowerCase().includes(text)),
      );
      const page = Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1);
      const shown = filtered.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
      const params = new URLSearchParams();
      for (const name of ['siren', 'segment', 'categorie', 'texte'] as const) {
        const value = q[name];
        if (value) params.set(name, value);
      }
      const select = (
        name: string,
        label: string,
        options: readonly string[],
        labels?: Record<string, string>,
      ) => (
        <div class="field">
          <label for={name} safe>
            {label}
          </label>
          <select id={name} name={name}>
            <option value="">Tous</option>
            {options.map((o) => (
              <option value={o} selected={q[name] === o} safe>
                {labels?.[o] ?? o}
              </option>
            ))}
          </select>
        </div>
      );
      return sendPage(reply, {
        title: TITLE,
        viewer: caller.viewer,
        current: '/portail/compteurs',
        breadcrumb: [
          { label: 'Accueil', href: '/portail' },
          { label: 'Vos données énergétiques' },
          { label: TITLE },
        ],
        children: (
          <>
            <form method="get" action="/portail/compteurs" class="filters">
              {select('siren', 'SIREN', sirens)}
              {select('segment', 'Segment', SEGMENTS)}
              {select('categorie', 'Puissance', ['A', 'B'], {
                A: 'Supérieure à 36kVA',
                B: 'Inférieure ou égale à 36kVA',
              })}
              <div class="field">
                <label for="texte">PRM, libellé ou contrat</label>
                <input id="texte" name="texte" value={q.texte ?? ''} />
              </div>
              <button type="submit" class="secondary">
                Filtrer
              </button>
            </form>
            <p class="muted" safe>{`${filtered.length} compteur(s)`}</p>
            {shown.length === 0 ? (
              <EmptyState message="Aucun compteur ne correspond à ces critères." />
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">PRM</th>
                      <th scope="col">Libellé</th>
                      <th scope="col">SIREN</th>
                      <th scope="col">Segment</th>
                      <th scope="col" class="num">
                        Puissance (kVA)
                      </th>
                      <th scope="col">Contrat</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((r) => (
                      <tr>
                        <td>
                          <a href={`/portail/compteurs/${r.prm}`} safe>
                            {r.prm}
                          </a>
                        </td>
                        <td safe>{r.label}</td>
                        <td safe>{r.siren}</td>
                        <td safe>{r.segment}</td>
                        <td class="num">{r.kva}</td>
                        <td safe>{r.contractNumber}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <Pagination
              page={page}
              pageSize={PAGE_SIZE}
              total={filtered.length}
              href={(p) => {
                const next = new URLSearchParams(params);
                next.set('page', String(p));
                return `/portail/compteurs?${next.toString()}`;
              }}
            />
          </>
        ),
      });
    }),
  );

  app.get(
    '/portail/compteurs/:prm',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply);
      const prm = (request.params as Record<string, string>).prm ?? '';
      const scoped = await requirePrmInScope(ctx.db, caller.user, prm);
      const record = scoped.record;
      const q = queryOf(request);
      const today = localDayOf(ctx.clock.now());
      const to = q.au && DAY.test(q.au) ? q.au : addDays(today, 1);
      const from = q.du && DAY.test(q.du) && q.du < to ? q.du : addDays(to, -7);
      const data = await readPrmMeasurements(ctx.db, record.prm, from, to, (day) =>
        dayInAttachments(scoped.attachments, day),
      );
      const registers = [...new Set(data.index.map((r) => r.register))];
      const days = [...new Set(data.index.map((r) => r.day))].reverse();
      const apiUrl = `/api/v1/prms/${record.prm}/measurements?from=${from}&to=${to}`;
      return sendPage(reply, {
        title: `Compteur ${record.prm}`,
        viewer: caller.viewer,
        current: '/portail/compteurs',
        breadcrumb: [
          { label: 'Accueil', href: '/portail' },
          { label: TITLE, href: '/portail/compteurs' },
          { label: record.prm },
        ],
        scripts: ['/assets/uPlot.iife.min.js', '/assets/prm-chart.js'],
        children: (
          <>
            <link rel="stylesheet" href="/assets/uPlot.min.css" />
            <dl class="details card">
              <dt>Libellé</dt>
              <dd safe>{record.label}</dd>
              <dt>Segment</dt>
              <dd
                safe
              >{`${record.segment} (${record.category === 'A' ? 'supérieur à 36kVA' : 'inférieur ou égal à 36kVA'})`}</dd>
              <dt>Puissance souscrite</dt>
              <dd safe>{`${record.kva} kVA`}</dd>
              <dt>Pas de courbe</dt>
              <dd safe>{record.step}</dd>
              <dt>Contrat</dt>
              <dd safe>{record.contractNumber}</dd>
              <dt>Rattachement</dt>
              <dd safe>
                {scoped.attachments
                  .map(
                    (a) =>
                      `SIREN ${a.siren} depuis le ${frenchDay(a.startDate)}${a.endDate ? ` jusqu'au ${frenchDay(a.endDate)}` : ''}`,
                  )
                  .join(' ; ')}
              </dd>
            </dl>
            <form method="get" action={`/portail/compteurs/${record.prm}`} class="filters">
              <div class="field">
                <label for="du">Du</label>
                <input id="du" name="du" type="date" value={from} />
              </div>
              <div class="field">
                <label for="au">Au (exclu)</label>
                <input id="au" name="au" type="date" value={to} />
              </div>
              <button type="submit" class="secondary">
                Afficher
              </button>
            </form>
            <h2>Courbe de charge</h2>
            <div
              id="courbe"
              class="chart"
              data-src={apiUrl}
              role="img"
              aria-label="Courbe de charge brute et corrigée"
            ></div>
            <p id="courbe-etat" class="muted" aria-live="polite">
              Chargement de la courbe…
            </p>
            <p class="hint">
              Courbe brute en bleu, corrigée en vert pointillé ; les points estimés ou corrigés sont marqués
              en orange. Données également disponibles en JSON : <a href={apiUrl}>API</a>.
            </p>
            <h2>Index</h2>
            {days.length === 0 ? (
              <EmptyState message="Aucun relevé d'index sur cette période." />
            ) : (
              <div class="table-wrap">
                <table>
                  <caption class="sr-only">Index quotidiens en Wh par classe temporelle</caption>
                  <thead>
                    <tr>
                      <th scope="col">Jour</th>
                      {registers.map((r) => (
                        <th scope="col" class="num" safe>
                          {`${r} (Wh)`}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {days.map((day) => (
                      <tr>
                        <th scope="row" safe>
                          {frenchDay(day)}
                        </th>
                        {registers.map((r) => {
                          const reading = data.index.find((x) => x.day === day && x.register === r);
                          return (
                            <td class="num">{reading ? reading.valueWh.toLocaleString('fr-FR') : '—'}</td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        ),
      });
    }),
  );
}
