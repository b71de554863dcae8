import type { FastifyInstance } from 'fastify';
import type { SubscriptionRecord } from '../../../db/subscription.repository.js';
import { DATA_TYPE_LABELS, FREQUENCY_LABELS } from '../../../domain/catalog.js';
import { statusAt } from '../../../domain/subscription-rules.js';
import { Alert, EmptyState, StatusBadge } from '../components.js';
import { deliveryProgressText } from '../delivery-progress-text.js';
import { parisDateTimeOf } from '../../../domain/french-dates.js';
import type { PortalContext } from '../portal-context.js';
import { AppError } from '../../../domain/app-error.js';
import { formError, idParam, portalCaller, portalPage, queryOf, sendPage } from '../portal-request.js';

function SubscriptionList(props: { items: SubscriptionRecord[]; now: Date }): JSX.Element {
  return (
    <ul class="plain-list">
      {props.items.map((s) => {
        const pending = statusAt(s, props.now) === 'PENDING';
        return (
          <li>
            <a href={`/portail/abonnements/${s.id}/publication`} safe>
              {`${DATA_TYPE_LABELS[s.dataType]} — ${FREQUENCY_LABELS[s.frequency]} (${s.format})`}
            </a>{' '}
            <span class="muted" safe>{`SIREN ${s.siren}, catégorie ${s.category}`}</span>{' '}
            {pending ? (
              <StatusBadge tone="pending" label={`Effectif le ${parisDateTimeOf(s.effectiveAt)}`} />
            ) : (
              <StatusBadge tone="ok" label="Actif" />
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** Accueil: the entreprise at a glance. */
export function registerHomePage(app: FastifyInstance, ctx: PortalContext): void {
  app.get(
    '/portail',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply);
      const now = ctx.clock.now();
      const managesData = caller.can('GESTION_SERVICES_DONNEES');
      const { subscriptions, failed, retrying, channelLabels, channelNames, latest, latestDeliveries, key } =
        await ctx.home.overviewFor(caller.user, caller.actor, managesData);
      const pending = subscriptions.filter((s) => statusAt(s, now) === 'PENDING');
      const active = subscriptions.filter((s) => statusAt(s, now) === 'EFFECTIVE');
      const keyAgeDays = key
        ? Math.floor((now.getTime() - Date.parse(key.createdAt)) / 86_400_000)
        : undefined;
      return sendPage(reply, {
        title: 'Accueil',
        viewer: caller.viewer,
        current: '/portail',
        children: (
          <>
            {queryOf(request).renvoi === '1' ? (
              <Alert kind="success">Le renvoi est programmé : il part avec les prochains envois.</Alert>
            ) : (
              ''
            )}
            {queryOf(request).erreur === 'canal-inactif' ? (
              <Alert kind="error">
                Le canal de cet envoi est inactif : réactivez-le avant de renvoyer le fichier.
              </Alert>
            ) : (
              ''
            )}
            <div class="cards">
              <div class="card stat">
                <strong>{active.length}</strong> abonnement(s) actif(s)
              </div>
              <div class="card stat">
                <strong>{pending.length}</strong> en cours de prise en compte
              </div>
              {managesData ? (
                <div class="card stat">
                  <strong>{failed.length}</strong> envoi(s) en échec
                </div>
              ) : (
                ''
              )}
              {retrying.length > 0 ? (
                <div class="card stat">
                  <strong>{retrying.length}</strong> envoi(s) en attente d'un nouvel essai
                </div>
              ) : (
                ''
              )}
            </div>
            <section>
              <h2>Abonnements en cours de prise en compte</h2>
              {pending.length === 0 ? (
                <EmptyState message="Aucun abonnement en attente." />
              ) : (
                <SubscriptionList items={pending} now={now} />
              )}
            </section>
            <section>
              <h2>Abonnements actifs</h2>
              {active.length === 0 ? (
                <EmptyState message="Aucun abonnement actif.">
                  <a href="/portail/abonnements">Paramétrer vos abonnements</a>
                </EmptyState>
              ) : (
                <SubscriptionList items={active} now={now} />
              )}
            </section>
            <section>
              <h2>Dernières publications</h2>
              {latest.length === 0 ? (
                <EmptyState message="Aucune publication pour l'instant : les fichiers apparaissent ici dès la fin de leur première période de collecte." />
              ) : (
                <>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Publié le</th>
                        <th scope="col">Fichier</th>
                        <th scope="col">Envois</th>
                      </tr>
                    </thead>
                    <tbody>
                      {latest.map((p) => (
                        <tr>
                          <td safe>{parisDateTimeOf(p.createdAt)}</td>
                          <td>
                            <a href={`/portail/flux/${p.id}/fichier`}>
                              <code safe>{p.archiveName}</code>
                            </a>
                          </td>
                          <td>
                            {(latestDeliveries.get(p.id) ?? []).length === 0 ? (
                              <span class="muted">Archive seule</span>
                            ) : (
                              (latestDeliveries.get(p.id) ?? []).map((d) => (
                                <>
                                  <StatusBadge
                                    tone={
                                      d.status === 'delivered'
                                        ? 'ok'
                                        : d.status === 'failed'
                                          ? 'error'
                                          : 'pending'
                                    }
                                    label={`${channelNames.get(d.channel_id) ?? `canal ${d.channel_id}`} : ${
                                      d.status === 'delivered'
                                        ? 'envoyé'
                                        : d.status === 'failed'
                                          ? 'échec'
                                          : 'en attente'
                                    }`}
                                  />
                                  {deliveryProgressText(d, now) ? (
                                    <div class="hint" safe>
                                      {deliveryProgressText(d, now)}
                                    </div>
                                  ) : (
                                    ''
                                  )}
                                </>
                              ))
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <p>
                    <a href="/portail/flux?recherche=1">Toutes les publications (Recherche de flux)</a>
                  </p>
                </>
              )}
            </section>
            {managesData ? (
              <>
                {retrying.length > 0 ? (
                  <section>
                    <h2>Envois en attente d'un nouvel essai</h2>
                    <p>
                      Ces envois ont échoué et seront retentés automatiquement. Si l'erreur persiste, vérifiez
                      le canal dans <a href="/portail/canaux">Vos canaux numériques</a> (bouton « Tester »).
                    </p>
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Publication</th>
                          <th scope="col">Canal</th>
                          <th scope="col">État</th>
                        </tr>
                      </thead>
                      <tbody>
                        {retrying.map((d) => (
                          <tr>
                            <td safe>{`n° ${d.publication_id}`}</td>
                            <td safe>{channelLabels.get(d.channel_id) ?? `canal n° ${d.channel_id}`}</td>
                            <td safe>{deliveryProgressText(d, now)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </section>
                ) : (
                  ''
                )}
                <section>
                  <h2>Envois en échec</h2>
                  {failed.length === 0 ? (
                    <EmptyState message="Aucun envoi en échec." />
                  ) : (
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Publication</th>
                          <th scope="col">Canal</th>
                          <th scope="col">Tentatives</th>
                          <th scope="col">Erreur</th>
                          <th scope="col">Action</th>
                        </tr>
                      </thead>
                      <tbody>
                        {failed.map((d) => (
                          <tr>
                            <td safe>{`n° ${d.publication_id}`}</td>
                            <td safe>{channelLabels.get(d.channel_id) ?? `canal n° ${d.channel_id}`}</td>
                            <td>{d.attempts}</td>
                            <td safe>{d.last_error ?? ''}</td>
                            <td>
                              <form method="post" action={`/portail/envois/${d.id}/renvoyer`} class="inline">
                                <input type="hidden" name="_csrf" value={caller.viewer.csrfToken} />
                                <button type="submit" class="secondary">
                                  Renvoyer
                                </button>
                              </form>
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </section>
                <section>
                  <h2>Clé de chiffrement</h2>
                  <p safe>
                    {key && keyAgeDays !== undefined
                      ? `Version ${key.version}, créée le ${parisDateTimeOf(key.createdAt)} (il y a ${keyAgeDays} jour(s)).`
                      : "Aucune clé n'a encore été créée : elle le sera au premier envoi ou à son premier affichage."}
                  </p>
                  <a href="/portail/canaux#cle-titre">Vos canaux numériques et la clé</a>
                </section>
              </>
            ) : (
              ''
            )}
          </>
        ),
      });
    }),
  );

  app.post(
    '/portail/envois/:id/renvoyer',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_SERVICES_DONNEES');
      const delivery = await ctx.flux.deliveryInEntreprise(caller.user.entrepriseId, idParam(request));
      if (!delivery) throw new AppError('NOT_FOUND', 'no such delivery');
      try {
        await ctx.deliveries.resend(caller.actor, {
          publicationId: delivery.publication_id,
          channelId: delivery.channel_id,
        });
        return reply.redirect('/portail?renvoi=1', 303);
      } catch (error) {
        formError(error, ['CHANNEL_NOT_ACTIVABLE']);
        return reply.redirect('/portail?erreur=canal-inactif', 303);
      }
    }),
  );
}
