import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../domain/app-error.js';
import { DATA_TYPE_LABELS, FREQUENCY_LABELS } from '../../../domain/catalog.js';
import { statusAt } from '../../../domain/subscription-rules.js';
import type { SubscriptionRecord } from '../../../db/subscription.repository.js';
import type { ChannelView } from '../../../delivery/channel.service.js';
import { frenchMessage } from '../../error-messages.js';
import { Alert, EmptyState } from '../components.js';
import type { PortalContext } from '../portal-context.js';
import {
  fields,
  formError,
  formOf,
  idParam,
  portalCaller,
  portalPage,
  sendPage,
  type PortalCaller,
} from '../portal-request.js';
import { gridHref } from './subscriptions.page.js';

function subscriptionOf(ctx: PortalContext, caller: PortalCaller, id: number): Promise<SubscriptionRecord> {
  return ctx.subscriptions.findVisible(caller.user, id);
}

function ChannelChoices(props: {
  legend: string;
  channels: ChannelView[];
  selected: readonly number[];
  editable: boolean;
}): JSX.Element {
  return (
    <fieldset class="card">
      <legend safe>{props.legend}</legend>
      {props.channels.length === 0 ? (
        <p class="muted">Aucun canal actif.</p>
      ) : (
        props.channels.map((channel) => (
          <label class="checkbox-line">
            <input
              type="checkbox"
              name="canal"
              value={String(channel.id)}
              checked={props.selected.includes(channel.id)}
              disabled={!props.editable}
            />
            <span safe>{channel.label}</span>{' '}
            <span class="muted" safe>
              {channel.email ?? `${channel.kind.toUpperCase()} ${channel.host ?? ''}`}
            </span>
          </label>
        ))
      )}
    </fieldset>
  );
}

const SECURITY_NOTICE = (
  <Alert kind="info" title="Sécurité de vos données">
    <p>
      Pour des raisons de sécurité de vos données, les fichiers envoyés sont protégés par une clé de
      chiffrement disponible depuis la page « Vos canaux numériques ». Vous pourrez toujours télécharger ces
      derniers depuis la page « Recherche de flux ».
    </p>
    <p>
      Toutes vos données numériques ou papiers doivent être protégées de manière raisonnée en fonction de leur
      confidentialité. Plus un document contient des données sensibles, plus son niveau d'accessibilité sera
      élevé et par conséquent plus sa sécurisation sera élevée tout au long de son cycle de vie. Vous devez
      donc être vigilants sur l'ensemble des données sensibles manipulées.
    </p>
  </Alert>
);

async function render(
  ctx: PortalContext,
  caller: PortalCaller,
  subscription: SubscriptionRecord,
  reply: Parameters<typeof sendPage>[0],
  options: { error?: AppError; saved?: boolean } = {},
) {
  const now = ctx.clock.now();
  const status = statusAt(subscription, now);
  const editable = caller.can('GESTION_SERVICES_DONNEES');
  const name = `${DATA_TYPE_LABELS[subscription.dataType]} — ${FREQUENCY_LABELS[subscription.frequency]}`;
  const selected = await ctx.publicationSettings.channelsOf(caller.actor, {
    id: subscription.id,
    entrepriseId: subscription.entrepriseId,
    effectiveAt: subscription.effectiveAt.toISOString(),
  });
  const active = editable ? (await ctx.channels.list(caller.actor)).filter((c) => c.status === 'ACTIF') : [];
  const back = gridHref(subscription.siren, subscription.category);
  let body: JSX.Element;
  if (status === 'PENDING') {
    body = (
      <Alert kind="warning" title="Association impossible pour le moment">
        <span safe>
          {frenchMessage(
            new AppError('SUBSCRIPTION_NOT_YET_EFFECTIVE', 'pending', {
              effectiveAt: subscription.effectiveAt.toISOString(),
            }),
          )}
        </span>
      </Alert>
    );
  } else if (status === 'ENDED') {
    body = <Alert kind="warning">L'abonnement a été résilié.</Alert>;
  } else if (!editable) {
    body = (
      <Alert kind="info">
        Le choix des canaux nécessite l'habilitation « Gestion des services de données ».
      </Alert>
    );
  } else {
    body = (
      <form method="post" action={`/portail/abonnements/${subscription.id}/publication`} class="stack">
        <input type="hidden" name="_csrf" value={caller.viewer.csrfToken} />
        <p>
          📌 Sélectionner les canaux numériques sur lesquels vous souhaitez recevoir vos fichiers de données.
        </p>
        {active.length === 0 ? (
          <EmptyState message="Aucun canal numérique actif.">
            <a href="/portail/canaux">Ajouter un canal numérique</a>
          </EmptyState>
        ) : (
          ''
        )}
        <ChannelChoices
          legend="Adresse(s) e-mail"
          channels={active.filter((c) => c.kind === 'email')}
          selected={selected}
          editable
        />
        <ChannelChoices
          legend="Serveur(s) FTP"
          channels={active.filter((c) => c.kind !== 'email')}
          selected={selected}
          editable
        />
        <p>
          <a href="/portail/canaux">Gérer les canaux numériques</a>
        </p>
        <div class="actions">
          <a class="button secondary" href={back}>
            Retour
          </a>
          <button type="submit">Enregistrer les modifications</button>
        </div>
      </form>
    );
  }
  return sendPage(
    reply,
    {
      title: 'Gérer la publication',
      viewer: caller.viewer,
      current: '/portail/abonnements',
      breadcrumb: [
        { label: 'Accueil', href: '/portail' },
        { label: 'Vos abonnements', href: back },
        { label: 'Gérer la publication' },
      ],
      children: (
        <>
          <dl class="details card">
            <dt>Abonnement</dt>
            <dd safe>{name}</dd>
            <dt>SIREN</dt>
            <dd safe>{subscription.siren}</dd>
            <dt>Format</dt>
            <dd safe>{subscription.format}</dd>
            <dt>Demande</dt>
            <dd safe>{subscription.idDemande}</dd>
          </dl>
          {options.saved ? <Alert kind="success">Canaux de publication enregistrés.</Alert> : ''}
          {options.error ? (
            <Alert kind="error">
              <span safe>{frenchMessage(options.error)}</span>
            </Alert>
          ) : (
            ''
          )}
          {body}
          {SECURITY_NOTICE}
        </>
      ),
    },
    options.error ? 409 : 200,
  );
}

/** "Gérer la publication": the active channels that receive a subscription, once it is effective. */
export function registerPublicationPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get(
    '/portail/abonnements/:id/publication',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply);
      const subscription = await subscriptionOf(ctx, caller, idParam(request));
      const saved = (request.query as Record<string, unknown>).enregistre === '1';
      return render(ctx, caller, subscription, reply, { saved });
    }),
  );

  app.post(
    '/portail/abonnements/:id/publication',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_SERVICES_DONNEES');
      const subscription = await subscriptionOf(ctx, caller, idParam(request));
      const ids = fields(formOf(request), 'canal')
        .filter((v) => /^\d+$/.test(v))
        .map(Number);
      try {
        await ctx.publicationSettings.setChannels(
          caller.actor,
          {
            id: subscription.id,
            entrepriseId: subscription.entrepriseId,
            effectiveAt: subscription.effectiveAt.toISOString(),
          },
          ids,
        );
        return reply.redirect(`/portail/abonnements/${subscription.id}/publication?enregistre=1`, 303);
      } catch (error) {
        const appError = formError(error, ['SUBSCRIPTION_NOT_YET_EFFECTIVE', 'CHANNEL_INVALID']);
        return render(ctx, caller, subscription, reply, { error: appError });
      }
    }),
  );
}
