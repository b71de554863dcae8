import type { FastifyInstance } from 'fastify';
import { requireSirenInScope, sirensInScope } from '../../../auth/tenant-scope.js';
import type { AppError } from '../../../domain/app-error.js';
import { catalogEntries, isInCatalog, type FileFormat } from '../../../domain/catalog.js';
import type { Category } from '../../../domain/identifiers.js';
import {
  SubscriptionService,
  type Grid,
  type GridEdit,
  type GridLine,
} from '../../../subscriptions/subscription.service.js';
import { frenchMessage } from '../../error-messages.js';
import { Alert, EmptyState, StatusBadge } from '../components.js';
import { parisDateTimeOf } from '../../../domain/french-dates.js';
import type { PortalContext } from '../portal-context.js';
import {
  field,
  formError,
  formOf,
  portalCaller,
  portalPage,
  queryOf,
  sendPage,
  type FormBody,
  type PortalCaller,
} from '../portal-request.js';

const TITLE = 'Vos abonnements';
const CATEGORY_TABS: ReadonlyArray<{ category: Category; label: string; intro: string }> = [
  {
    category: 'A',
    label: 'Comptage supérieur à 36kVA',
    intro:
      'Gérer les abonnements liés à vos compteurs communicants dont la puissance souscrite est supérieure à 36kVA.',
  },
  {
    category: 'B',
    label: 'Comptage inférieur à 36kVA',
    intro:
      'Gérer les abonnements liés à vos compteurs communicants dont la puissance souscrite est inférieure ou égale à 36kVA.',
  },
];

const keyOf = (line: { dataType: string; frequency: string }) => `${line.dataType}-${line.frequency}`;

export function gridHref(siren: string, category: Category): string {
  return `/portail/abonnements?siren=${encodeURIComponent(siren)}&categorie=${category}`;
}

/** What the user sent for each line, shown again when the save is refused. */
type Submitted = ReadonlyMap<string, { subscribed: boolean; format: FileFormat | null }>;

function LineStatus(props: { line: GridLine }): JSX.Element {
  const { line } = props;
  if (line.status === 'PENDING' && line.effectiveAt) {
    return (
      <StatusBadge
        tone="pending"
        label={`En cours de prise en compte — effective le ${parisDateTimeOf(line.effectiveAt)}`}
      />
    );
  }
  if (line.status === 'EFFECTIVE') {
    return (
      <>
        <StatusBadge tone="ok" label="Actif" />
        <div class="hint" safe>
          {line.channels.length > 0
            ? `Canaux : ${line.channels.map((c) => c.label).join(', ')}`
            : 'Aucun canal : fichiers disponibles dans la recherche de flux'}
        </div>
      </>
    );
  }
  return <span class="muted">Non souscrit</span>;
}

function GridTable(props: {
  grid: Grid;
  editable: boolean;
  submitted?: Submitted;
  errorKey?: string;
  errorMessage?: string;
}): JSX.Element {
  const { grid, editable } = props;
  let previousType = '';
  return (
    <div class="table-wrap">
      <table class="grid">
        <caption class="sr-only">Abonnements par type de données et fréquence de publication</caption>
        <thead>
          <tr>
            <th scope="col">Type de données</th>
            <th scope="col">Fréquence de publication</th>
            <th scope="col">Format de fichier</th>
            <th scope="col">Souscrire</th>
            <th scope="col">Statut</th>
            <th scope="col">Paramètres</th>
          </tr>
        </thead>
        <tbody>
          {grid.lines.map((line) => {
            const key = keyOf(line);
            const sent = props.submitted?.get(key);
            const subscribed = sent ? sent.subscribed : line.subscribed;
            const format = sent ? sent.format : line.format;
            const name = `${line.dataTypeLabel} ${line.frequencyLabel.toLowerCase()}`;
            const firstOfType = line.dataTypeLabel !== previousType;
            previousType = line.dataTypeLabel;
            const hasError = props.errorKey === key;
            return (
              <tr id={`ligne-${key}`} class={hasError ? 'row-error' : firstOfType ? 'group-start' : ''}>
                <th scope="row" safe>
                  {firstOfType ? line.dataTypeLabel : ''}
                </th>
                <td safe>{line.frequencyLabel}</td>
                <td>
                  {editable ? (
                    <fieldset class="formats" aria-describedby={hasError ? `erreur-${key}` : undefined}>
                      <legend class="sr-only" safe>{`Format de fichier — ${name}`}</legend>
                      {(['CSV', 'JSON'] as const).map((option) => (
                        <label class="radio">
                          <input
                            type="radio"
                            name={`format-${key}`}
                            value={option}
                            checked={format === option}
                            disabled={option === 'CSV' && !grid.csvAllowed}
                          />
                          <span>{option}</span>
                        </label>
                      ))}
                    </fieldset>
                  ) : (
                    <span safe>{format ?? '—'}</span>
                  )}
                </td>
                <td>
                  {editable ? (
                    <label class="checkbox">
                      <input type="checkbox" name={`souscrire-${key}`} value="1" checked={subscribed} />
                      <span class="sr-only" safe>{`Souscrire — ${name}`}</span>
                    </label>
                  ) : (
                    <span>{line.subscribed ? 'Oui' : 'Non'}</span>
                  )}
                </td>
                <td>
                  <LineStatus line={line} />
                  {hasError ? (
                    <p class="error-text" id={`erreur-${key}`} role="alert" safe>
                      {props.errorMessage ?? ''}
                    </p>
                  ) : (
                    ''
                  )}
                </td>
                <td>
                  {line.subscriptionId !== null ? (
                    <a href={`/portail/abonnements/${line.subscriptionId}/publication`}>
                      Gérer la publication<span class="sr-only" safe>{` — ${name}`}</span>
                    </a>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

async function renderGridPage(
  ctx: PortalContext,
  caller: PortalCaller,
  siren: string | undefined,
  category: Category,
  options: { submitted?: Submitted; error?: AppError; saved?: boolean; status?: number } = {},
  reply: Parameters<typeof sendPage>[0],
) {
  const sirens = await sirensInScope(ctx.db, caller.user);
  const editable = caller.can('GESTION_SERVICES_DONNEES');
  const breadcrumb = [
    { label: 'Accueil', href: '/portail' },
    { label: 'Vos données énergétiques' },
    { label: TITLE },
  ];
  if (siren === undefined) {
    return sendPage(reply, {
      title: TITLE,
      viewer: caller.viewer,
      current: '/portail/abonnements',
      breadcrumb,
      children: <EmptyState message="Aucun SIREN n'est rattaché à votre périmètre." />,
    });
  }
  const grid = await new SubscriptionService(ctx.db, { channels: ctx.subscriptionChannels }).readGrid(
    siren,
    category,
    ctx.clock.now(),
  );
  const error = options.error;
  const lineIndex = error?.params.line === undefined ? undefined : Number(error.params.line) - 1;
  const entry = lineIndex === undefined ? undefined : catalogEntries(category)[lineIndex];
  const errorKey = entry ? keyOf(entry) : undefined;
  const errorMessage = error
    ? error.code === 'INVALID_INPUT' && entry
      ? 'Choisissez un format de fichier (CSV ou JSON) pour souscrire.'
      : frenchMessage(error).replace(/^Ligne \d+ : /, '')
    : undefined;
  const tab = CATEGORY_TABS.find((t) => t.category === category)!;
  return sendPage(
    reply,
    {
      title: TITLE,
      viewer: caller.viewer,
      current: '/portail/abonnements',
      breadcrumb,
      children: (
        <>
          <p class="lead">
            Vous pouvez souscrire à différents abonnements, par typologie de comptage, pour l'ensemble des
            données de votre entreprise. Pour recevoir les fichiers de données sur vos canaux numériques
            (serveurs FTP ou adresses e-mail), veuillez cliquer sur « Gérer la publication ».
          </p>
          <form method="get" action="/portail/abonnements" class="filters">
            <div class="field">
              <label for="siren">SIREN</label>
              <select id="siren" name="siren">
                {sirens.map((s) => (
                  <option value={s} selected={s === siren} safe>
                    {s}
                  </option>
                ))}
              </select>
            </div>
            <input type="hidden" name="categorie" value={category} />
            <button type="submit" class="secondary">
              Afficher
            </button>
          </form>
          <nav class="tabs" aria-label="Typologie de comptage">
            {CATEGORY_TABS.map((t) => (
              <a
                href={gridHref(siren, t.category)}
                aria-current={t.category === category ? 'page' : undefined}
                safe
              >
                {t.label}
              </a>
            ))}
          </nav>
          <p>
            <span safe>{tab.intro}</span> Si votre entreprise possède plus de 100 compteurs, seul le format de
            fichier JSON est disponible.
          </p>
          {!grid.csvAllowed ? (
            <Alert kind="info" title="Format JSON uniquement">
              <span
                safe
              >{`Ce SIREN compte ${grid.prmCount} PRM dans cette catégorie (plus de 100) : seul le format JSON est disponible.`}</span>
            </Alert>
          ) : (
            ''
          )}
          {options.saved ? (
            <Alert kind="success">
              Modifications enregistrées. Un nouvel abonnement est pris en compte dans un délai de 72 heures ;
              vous pourrez ensuite l'associer à vos canaux numériques.
            </Alert>
          ) : (
            ''
          )}
          {error ? (
            <Alert kind="error" title="Les modifications n'ont pas été enregistrées">
              <span safe>{frenchMessage(error)}</span>
            </Alert>
          ) : (
            ''
          )}
          {!editable ? (
            <Alert kind="info">
              La modification des abonnements nécessite l'habilitation « Gestion des services de données ».
            </Alert>
          ) : (
            ''
          )}
          <p
            class="muted"
            safe
          >{`${grid.prmCount} PRM rattaché(s) au SIREN ${siren} dans cette catégorie.`}</p>
          {editable ? (
            <form method="post" action="/portail/abonnements" class="grid-form">
              <input type="hidden" name="_csrf" value={caller.viewer.csrfToken} />
              <input type="hidden" name="siren" value={siren} />
              <input type="hidden" name="categorie" value={category} />
              <GridTable
                grid={grid}
                editable
                submitted={options.submitted}
                errorKey={errorKey}
                errorMessage={errorMessage}
              />
              <div class="actions">
                <a class="button secondary" href="/portail">
                  Retour
                </a>
                <button type="submit">Enregistrer les modifications</button>
              </div>
            </form>
          ) : (
            <GridTable grid={grid} editable={false} />
          )}
          <h2>Délai de mise en œuvre</h2>
          <p>
            La prise en compte de votre abonnement se fait dans un délai de 72 heures. C'est seulement après
            ce délai que vous pourrez associer votre abonnement à un canal numérique.
          </p>
        </>
      ),
    },
    options.status ?? 200,
  );
}

function categoryOf(value: string | undefined): Category {
  return value === 'B' ? 'B' : 'A';
}

/** The grid the user sent, one edit per catalog line, in catalog order (errors name lines by index). */
function editsOf(body: FormBody, category: Category): { edits: GridEdit[]; submitted: Submitted } {
  const submitted = new Map<string, { subscribed: boolean; format: FileFormat | null }>();
  const edits = catalogEntries(category).map((entry): GridEdit => {
    const key = keyOf(entry);
    const raw = field(body, `format-${key}`);
    const format = raw === 'CSV' || raw === 'JSON' ? raw : null;
    const subscribed = field(body, `souscrire-${key}`) === '1';
    submitted.set(key, { subscribed, format });
    return {
      dataType: entry.dataType,
      frequency: entry.frequency,
      subscribed,
      ...(format ? { format } : {}),
    };
  });
  return { edits, submitted };
}

/** "Vos abonnements": the grid of a SIREN and category, saved as a whole. */
export function registerSubscriptionsPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get(
    '/portail/abonnements',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply);
      const query = queryOf(request);
      const sirens = await sirensInScope(ctx.db, caller.user);
      const siren = query.siren || sirens[0];
      if (siren !== undefined) await requireSirenInScope(ctx.db, caller.user, siren);
      return renderGridPage(
        ctx,
        caller,
        siren,
        categoryOf(query.categorie),
        { saved: query.enregistre === '1' },
        reply,
      );
    }),
  );

  app.post(
    '/portail/abonnements',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_SERVICES_DONNEES');
      const body = formOf(request);
      const siren = field(body, 'siren');
      const category = categoryOf(field(body, 'categorie'));
      await requireSirenInScope(ctx.db, caller.user, siren);
      const { edits, submitted } = editsOf(body, category);
      try {
        await new SubscriptionService(ctx.db).applyGrid(
          { entrepriseId: caller.user.entrepriseId, siren, category },
          edits.filter((e) => isInCatalog(category, e.dataType, e.frequency)),
          { type: 'user', id: String(caller.user.id), label: caller.user.email },
          ctx.clock.now(),
        );
        return reply.redirect(`${gridHref(siren, category)}&enregistre=1`, 303);
      } catch (error) {
        const appError = formError(error, [
          'CSV_NOT_ALLOWED_OVER_100_PRM',
          'INVALID_INPUT',
          'CONCURRENT_CHANGE',
          'NOT_IN_CATALOG',
          'DUPLICATE_GRID_LINE',
        ]);
        return renderGridPage(
          ctx,
          caller,
          siren,
          category,
          { submitted, error: appError, status: 422 },
          reply,
        );
      }
    }),
  );
}
