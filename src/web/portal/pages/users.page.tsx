import type { FastifyInstance, FastifyReply } from 'fastify';
import { sirensInScope } from '../../../auth/tenant-scope.js';
import type { AppError } from '../../../domain/app-error.js';
import { HABILITATIONS, isHabilitation, type Habilitation } from '../../../domain/habilitations.js';
import type { UserRecord } from '../../../db/user.repository.js';
import { UserManagementService } from '../../../users/user-management.service.js';
import { frenchMessage } from '../../error-messages.js';
import { Alert, StatusBadge } from '../components.js';
import { parisDateTimeOf } from '../../../domain/french-dates.js';
import type { PortalContext } from '../portal-context.js';
import {
  field,
  fields,
  formError,
  formOf,
  idParam,
  portalCaller,
  portalPage,
  queryOf,
  sendPage,
  type FormBody,
  type PortalCaller,
} from '../portal-request.js';

const TITLE = 'Habilitation de vos utilisateurs';

export const HABILITATION_NAMES: Readonly<Record<Habilitation, { label: string; help: string }>> = {
  GESTION_UTILISATEURS: {
    label: 'Gestion des utilisateurs',
    help: 'Créer les utilisateurs, modifier leurs habilitations et leur périmètre.',
  },
  GESTION_SERVICES_DONNEES: {
    label: 'Gestion des services de données',
    help:
      'Activer ou désactiver les services liés aux données (abonnements, collecte de la courbe de charge) ' +
      "et gérer les canaux numériques de l'entreprise (adresses e-mail et serveurs FTP).",
  },
  CONSULTATION: {
    label: 'Consultation',
    help: 'Consulter les compteurs, les données et rechercher les flux.',
  },
};

const USER_ERRORS = [
  'SELF_RIGHTS_WIDENING',
  'PERIMETER_BEYOND_OWN',
  'LAST_USER_MANAGER',
  'EMAIL_TAKEN',
  'INVALID_EMAIL',
  'WEAK_PASSWORD',
  'INVALID_INPUT',
];

function RightsFields(props: {
  habilitations: readonly string[];
  perimeter: readonly string[] | null;
  sirens: readonly string[];
}): JSX.Element {
  return (
    <>
      <fieldset>
        <legend>Habilitations</legend>
        {HABILITATIONS.map((h) => (
          <label class="checkbox-line">
            <input type="checkbox" name="habilitation" value={h} checked={props.habilitations.includes(h)} />
            <span>
              <strong safe>{HABILITATION_NAMES[h].label}</strong>
              <span class="hint" safe>{` — ${HABILITATION_NAMES[h].help}`}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Périmètre</legend>
        <label class="checkbox-line">
          <input type="radio" name="perimetre" value="tous" checked={props.perimeter === null} />
          <span>Tous les SIREN de l'entreprise</span>
        </label>
        <label class="checkbox-line">
          <input type="radio" name="perimetre" value="liste" checked={props.perimeter !== null} />
          <span>Seulement les SIREN cochés :</span>
        </label>
        {props.sirens.map((s) => (
          <label class="checkbox-line">
            <input type="checkbox" name="siren" value={s} checked={props.perimeter?.includes(s) ?? false} />
            <span safe>{s}</span>
          </label>
        ))}
      </fieldset>
    </>
  );
}

function rightsOf(body: FormBody): { habilitations: Habilitation[]; sirenPerimeter: string[] | null } {
  return {
    habilitations: fields(body, 'habilitation').filter(isHabilitation),
    sirenPerimeter: field(body, 'perimetre') === 'liste' ? fields(body, 'siren') : null,
  };
}

function habilitationLabels(user: UserRecord): string {
  return user.habilitations.map((h) => HABILITATION_NAMES[h].label).join(', ') || 'Aucune';
}

async function renderList(
  ctx: PortalContext,
  caller: PortalCaller,
  reply: FastifyReply,
  options: { error?: AppError; values?: FormBody; notice?: string } = {},
) {
  const users = await new UserManagementService(ctx.db, ctx.mailer).list(caller.user);
  const sirens = await sirensInScope(ctx.db, caller.user);
  const values = options.values;
  return sendPage(
    reply,
    {
      title: TITLE,
      viewer: caller.viewer,
      current: '/portail/utilisateurs',
      breadcrumb: [{ label: 'Accueil', href: '/portail' }, { label: TITLE }],
      children: (
        <>
          <p class="lead">
            Seule une personne habilitée à la gestion des utilisateurs peut modifier les habilitations, dont «
            Gestion des services de données ». Personne ne peut étendre ses propres droits.
          </p>
          {options.notice ? (
            <Alert kind="success">
              <span safe>{options.notice}</span>
            </Alert>
          ) : (
            ''
          )}
          {options.error ? (
            <Alert kind="error">
              <span safe>{frenchMessage(options.error)}</span>
            </Alert>
          ) : (
            ''
          )}
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Utilisateur</th>
                  <th scope="col">Habilitations</th>
                  <th scope="col">Périmètre</th>
                  <th scope="col">État</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr>
                    <td>
                      <a href={`/portail/utilisateurs/${u.id}`} safe>
                        {u.displayName}
                      </a>
                      <div class="hint" safe>
                        {u.email}
                      </div>
                    </td>
                    <td safe>{habilitationLabels(u)}</td>
                    <td safe>{u.sirenPerimeter === null ? 'Tous les SIREN' : u.sirenPerimeter.join(', ')}</td>
                    <td>
                      <StatusBadge
                        tone={u.active ? 'ok' : 'neutral'}
                        label={u.active ? 'Actif' : 'Inactif'}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <details class="card" open={values !== undefined}>
            <summary>Ajouter un utilisateur</summary>
            <form method="post" action="/portail/utilisateurs" class="stack">
              <input type="hidden" name="_csrf" value={caller.viewer.csrfToken} />
              <div class="field">
                <label for="nom">Nom</label>
                <input id="nom" name="nom" required value={values ? field(values, 'nom') : ''} />
              </div>
              <div class="field">
                <label for="email">Adresse e-mail</label>
                <input
                  id="email"
                  name="email"
                  type="email"
                  required
                  maxlength="254"
                  aria-describedby="email-hint"
                  aria-invalid={options.error?.code === 'INVALID_EMAIL' ? 'true' : 'false'}
                  value={values ? field(values, 'email') : ''}
                />
                <span class="hint" id="email-hint">
                  Une seule adresse, celle de la personne. Un lien lui est envoyé pour choisir son mot de
                  passe (valable 7 jours).
                </span>
              </div>
              <RightsFields
                habilitations={values ? rightsOf(values).habilitations : ['CONSULTATION']}
                perimeter={values ? rightsOf(values).sirenPerimeter : null}
                sirens={sirens}
              />
              <div class="actions">
                <button type="submit">Créer et inviter</button>
              </div>
            </form>
          </details>
        </>
      ),
    },
    options.error ? 400 : 200,
  );
}

async function renderUser(
  ctx: PortalContext,
  caller: PortalCaller,
  reply: FastifyReply,
  user: UserRecord,
  options: { error?: AppError; saved?: boolean } = {},
) {
  const sirens = await sirensInScope(ctx.db, caller.user);
  return sendPage(
    reply,
    {
      title: `Fiche utilisateur : ${user.displayName}`,
      viewer: caller.viewer,
      current: '/portail/utilisateurs',
      breadcrumb: [
        { label: 'Accueil', href: '/portail' },
        { label: TITLE, href: '/portail/utilisateurs' },
        { label: user.displayName },
      ],
      children: (
        <>
          {options.saved ? <Alert kind="success">Modifications enregistrées.</Alert> : ''}
          {options.error ? (
            <Alert kind="error">
              <span safe>{frenchMessage(options.error)}</span>
            </Alert>
          ) : (
            ''
          )}
          <dl class="details card">
            <dt>Adresse e-mail</dt>
            <dd safe>{user.email}</dd>
            <dt>Créé le</dt>
            <dd safe>{parisDateTimeOf(user.createdAt)}</dd>
          </dl>
          <form method="post" action={`/portail/utilisateurs/${user.id}`} class="stack">
            <input type="hidden" name="_csrf" value={caller.viewer.csrfToken} />
            <RightsFields
              habilitations={user.habilitations}
              perimeter={user.sirenPerimeter}
              sirens={sirens}
            />
            <label class="checkbox-line">
              <input type="checkbox" name="actif" value="1" checked={user.active} />
              <span>Compte actif (décocher ferme ses sessions et révoque ses jetons d'API)</span>
            </label>
            <div class="actions">
              <a class="button secondary" href="/portail/utilisateurs">
                Retour
              </a>
              <button type="submit">Enregistrer les modifications</button>
            </div>
          </form>
        </>
      ),
    },
    options.error ? 400 : 200,
  );
}

/** "Habilitation de vos utilisateurs" and the fiche utilisateur (GESTION_UTILISATEURS only). */
export function registerUsersPages(app: FastifyInstance, ctx: PortalContext): void {
  const users = new UserManagementService(ctx.db, ctx.mailer);

  app.get(
    '/portail/utilisateurs',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_UTILISATEURS');
      const created = queryOf(request).cree;
      return renderList(ctx, caller, reply, {
        ...(created ? { notice: `Utilisateur créé : une invitation a été envoyée à ${created}.` } : {}),
      });
    }),
  );

  app.post(
    '/portail/utilisateurs',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_UTILISATEURS');
      const body = formOf(request);
      try {
        const created = await users.create(
          caller.user,
          {
            email: field(body, 'email'),
            displayName: field(body, 'nom').trim() || field(body, 'email').trim().toLowerCase(),
            ...rightsOf(body),
          },
          ctx.clock.now(),
          ctx.portalUrl,
        );
        return reply.redirect(`/portail/utilisateurs?cree=${encodeURIComponent(created.email)}`, 303);
      } catch (error) {
        return renderList(ctx, caller, reply, { error: formError(error, USER_ERRORS), values: body });
      }
    }),
  );

  app.get(
    '/portail/utilisateurs/:id',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_UTILISATEURS');
      const user = await users.get(caller.user, idParam(request));
      return renderUser(ctx, caller, reply, user, { saved: queryOf(request).enregistre === '1' });
    }),
  );

  app.post(
    '/portail/utilisateurs/:id',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await portalCaller(ctx, request, reply, 'GESTION_UTILISATEURS');
      const id = idParam(request);
      const target = await users.get(caller.user, id);
      const body = formOf(request);
      try {
        await users.update(
          caller.user,
          id,
          { ...rightsOf(body), active: field(body, 'actif') === '1' },
          ctx.clock.now(),
        );
        return reply.redirect(`/portail/utilisateurs/${id}?enregistre=1`, 303);
      } catch (error) {
        return renderUser(ctx, caller, reply, target, { error: formError(error, USER_ERRORS) });
      }
    }),
  );
}
