import type { FastifyInstance, FastifyReply } from 'fastify';
import { escapeHtml } from '@kitajs/html';
import { AppError } from '../../../domain/app-error.js';
import type { ChannelView, ServerChannelInput } from '../../../delivery/channel.service.js';
import { csrfTokenFor } from '../../api/auth.routes.js';
import { frenchMessage } from '../../error-messages.js';
import { Alert, EmptyState, StatusBadge } from '../components.js';
import { parisDateTimeOf } from '../../../domain/french-dates.js';
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
  type FormBody,
  type PortalCaller,
} from '../portal-request.js';

const TITLE = 'Vos canaux numériques';
const STEP_LABELS: Readonly<Record<string, string>> = {
  connect: 'Connexion au serveur',
  write: "Écriture d'un fichier temporaire",
  rename: 'Renommage',
  delete: 'Suppression',
};
const KIND_LABELS: Readonly<Record<string, string>> = {
  email: 'E-mail',
  sftp: 'SFTP',
  ftps: 'FTPS',
  ftp: 'FTP (non chiffré)',
};

function TestResult(props: { channel: ChannelView }): JSX.Element {
  const test = props.channel.lastTest;
  if (!test) return <span class="muted">Jamais testé</span>;
  return (
    <details open={!test.ok}>
      <summary>
        <StatusBadge tone={test.ok ? 'ok' : 'error'} label={test.ok ? 'Test réussi' : 'Test en échec'} />{' '}
        <span class="muted" safe>
          {parisDateTimeOf(test.at)}
        </span>
      </summary>
      <ol class="steps">
        {test.steps.map((step) => (
          <li class={step.ok ? 'step-ok' : 'step-error'}>
            <span safe>{`${step.ok ? '✔' : '✘'} ${STEP_LABELS[step.step] ?? step.step}`}</span>
            {step.ok ? (
              ''
            ) : (
              <div class="error-text" safe>
                {step.message}
              </div>
            )}
          </li>
        ))}
      </ol>
    </details>
  );
}

function ChannelActions(props: { channel: ChannelView; csrf: string }): JSX.Element {
  const { channel, csrf } = props;
  const action = (name: string, label: string, kind = 'secondary') => (
    <form method="post" action={`/portail/canaux/${channel.id}/${name}`} class="inline">
      <input type="hidden" name="_csrf" value={csrf} />
      <button type="submit" class={kind}>
        {escapeHtml(label)}
        <span class="sr-only" safe>{` — ${channel.label}`}</span>
      </button>
    </form>
  );
  return (
    <div class="row-actions">
      {channel.status === 'ACTIF' ? action('desactiver', 'Désactiver') : action('activer', 'Activer')}
      {channel.kind === 'email' ? '' : action('tester', 'Tester')}
      {channel.kind === 'email' && channel.confirmedAt === null ? action('renvoyer', 'Renvoyer le lien') : ''}
      {channel.kind === 'email' ? (
        ''
      ) : (
        <a href={`/portail/canaux/${channel.id}`}>
          Modifier<span class="sr-only" safe>{` — ${channel.label}`}</span>
        </a>
      )}
    </div>
  );
}

function ServerForm(props: { csrf: string; channel?: ChannelView; values?: FormBody }): JSX.Element {
  const c = props.channel;
  const v = (name: string, fallback: string | number | null | undefined) =>
    props.values
      ? field(props.values, name)
      : fallback === null || fallback === undefined
        ? ''
        : String(fallback);
  const kind = v('protocole', c?.kind ?? 'sftp');
  return (
    <form method="post" action={c ? `/portail/canaux/${c.id}` : '/portail/canaux/serveur'} class="stack">
      <input type="hidden" name="_csrf" value={props.csrf} />
      <div class="field">
        <label for="protocole">Protocole</label>
        <select id="protocole" name="protocole">
          {(['sftp', 'ftps', 'ftp'] as const).map((k) => (
            <option value={k} selected={k === kind} safe>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="libelle">Libellé</label>
        <input id="libelle" name="libelle" required value={v('libelle', c?.label)} />
      </div>
      <div class="field">
        <label for="hote">Hôte</label>
        <input id="hote" name="hote" required value={v('hote', c?.host)} />
      </div>
      <div class="field">
        <label for="port">Port</label>
        <input id="port" name="port" inputmode="numeric" value={v('port', c?.port)} />
        <span class="hint">22 pour SFTP, 21 pour FTPS et FTP si vide.</span>
      </div>
      <div class="field">
        <label for="identifiant">Identifiant</label>
        <input id="identifiant" name="identifiant" required value={v('identifiant', c?.username)} />
      </div>
      <div class="field">
        <label for="dossier">Dossier de dépôt</label>
        <input id="dossier" name="dossier" value={v('dossier', c?.remoteDir)} />
      </div>
      <div class="field">
        <label for="secret">Mot de passe</label>
        <input id="secret" name="secret" type="password" autocomplete="new-password" />
        {c ? <span class="hint">Laisser vide pour conserver le mot de passe enregistré.</span> : ''}
      </div>
      <label class="checkbox-line">
        <input type="checkbox" name="ftp_non_chiffre" value="1" />
        <span>
          J'ai compris qu'avec FTP sans chiffrement, l'identifiant, le mot de passe et les fichiers circulent
          en clair (obligatoire pour le protocole FTP).
        </span>
      </label>
      <div class="actions">
        <button type="submit">{c ? 'Enregistrer' : 'Ajouter le serveur'}</button>
      </div>
    </form>
  );
}

function serverInput(body: FormBody): ServerChannelInput {
  const kind = field(body, 'protocole');
  const port = field(body, 'port').trim();
  const secret = field(body, 'secret');
  return {
    kind: kind === 'ftps' || kind === 'ftp' ? kind : 'sftp',
    label: field(body, 'libelle'),
    host: field(body, 'hote'),
    ...(port ? { port: Number(port) } : {}),
    username: field(body, 'identifiant'),
    remoteDir: field(body, 'dossier') || undefined,
    authKind: 'password',
    ...(secret ? { secret } : {}),
    insecureAcknowledged: field(body, 'ftp_non_chiffre') === '1',
  };
}

function KeySection(props: {
  csrf: string;
  revealed?: { version: number; hex: string };
  keyCreatedAt?: string;
}) {
  return (
    <section aria-labelledby="cle-titre">
      <h2 id="cle-titre">Clé de chiffrement</h2>
      <p>
        Les fichiers envoyés sur vos canaux sont chiffrés (AES-256-CBC) avec cette clé. Les fichiers
        téléchargés depuis le portail ne le sont pas.
        {props.keyCreatedAt ? (
          <span safe>{` Clé actuelle créée le ${parisDateTimeOf(props.keyCreatedAt)}.`}</span>
        ) : (
          ''
        )}
      </p>
      {props.revealed ? (
        <div class="card">
          <p>
            <strong safe>{`Clé (version ${props.revealed.version}) :`}</strong>
          </p>
          <p>
            <code id="cle" class="secret" safe>
              {props.revealed.hex}
            </code>
          </p>
          <button
            type="button"
            class="secondary"
            id="copier-cle"
            data-copie="cle"
            data-copie-fait="Clé copiée"
          >
            Copier la clé
          </button>
        </div>
      ) : (
        <form method="post" action="/portail/canaux/cle/afficher" class="stack card narrow">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <div class="field">
            <label for="mot-de-passe-cle">Votre mot de passe, pour afficher la clé</label>
            <input
              id="mot-de-passe-cle"
              name="password"
              type="password"
              autocomplete="current-password"
              required
            />
          </div>
          <div class="actions">
            <button type="submit">Afficher la clé</button>
          </div>
        </form>
      )}
      <h3>Renouveler la clé</h3>
      <form method="post" action="/portail/canaux/cle/renouveler" class="stack card narrow">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <label class="checkbox-line">
          <input type="checkbox" name="confirmation" value="1" required />
          <span>
            Je confirme le renouvellement : les prochains fichiers seront chiffrés avec une nouvelle clé ; les
            fichiers déjà envoyés restent lisibles avec l'ancienne.
          </span>
        </label>
        <div class="actions">
          <button type="submit" class="danger">
            Renouveler la clé
          </button>
        </div>
      </form>
      <h3>Déchiffrer un fichier reçu</h3>
      <p>Avec l'outil en ligne de commande de Publiwatt :</p>
      <pre>npx publiwatt decrypt --key CLE flux.zip -o clair.zip</pre>
      <p>Ou avec openssl seul (les 16 premiers octets du fichier sont le vecteur d'initialisation) :</p>
      <pre>
        {`IV=$(head -c 16 flux.zip | xxd -p)
tail -c +17 flux.zip > corps.bin
openssl enc -d -aes-256-cbc -K CLE -iv "$IV" -in corps.bin -out clair.zip`}
      </pre>
    </section>
  );
}

async function renderChannels(
  ctx: PortalContext,
  caller: PortalCaller,
  reply: FastifyReply,
  options: {
    notice?: string;
    error?: AppError;
    revealed?: { version: number; hex: string };
    emailValues?: FormBody;
    serverValues?: FormBody;
    status?: number;
  } = {},
) {
  const channels = await ctx.channels.list(caller.actor);
  const key = await ctx.keyStatus.current(caller.user.entrepriseId);
  const csrf = caller.viewer.csrfToken;
  const table = (title: string, list: ChannelView[], kindLabel: boolean) => (
    <section>
      <h2 safe>{title}</h2>
      {list.length === 0 ? (
        <EmptyState message="Aucun canal de ce type." />
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Libellé</th>
                <th scope="col">{kindLabel ? 'Serveur' : 'Adresse'}</th>
                <th scope="col">État</th>
                {kindLabel ? <th scope="col">Dernier test</th> : ''}
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((channel) => (
                <tr id={`canal-${channel.id}`}>
                  <th scope="row" safe>
                    {channel.label}
                  </th>
                  <td>
                    {kindLabel ? (
                      <span
                        safe
                      >{`${KIND_LABELS[channel.kind]} ${channel.username ?? ''}@${channel.host ?? ''}:${channel.port ?? ''}${channel.remoteDir ? ` ${channel.remoteDir}` : ''}`}</span>
                    ) : (
                      <span safe>{channel.email ?? ''}</span>
                    )}
                    {channel.insecure ? <div class="hint">⚠ Non chiffré</div> : ''}
                  </td>
                  <td>
                    <StatusBadge
                      tone={channel.status === 'ACTIF' ? 'ok' : 'neutral'}
                      label={channel.status === 'ACTIF' ? 'Actif' : 'Inactif'}
                    />
                    {channel.kind === 'email' && channel.confirmedAt === null ? (
                      <div class="hint">En attente de confirmation par le lien envoyé</div>
                    ) : (
                      ''
                    )}
                  </td>
                  {kindLabel ? (
                    <td>
                      <TestResult channel={channel} />
                    </td>
                  ) : (
                    ''
                  )}
                  <td>
                    <ChannelActions channel={channel} csrf={csrf} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
  return sendPage(
    reply,
    {
      title: TITLE,
      viewer: caller.viewer,
      current: '/portail/canaux',
      breadcrumb: [{ label: 'Accueil', href: '/portail' }, { label: TITLE }],
      scripts: options.revealed ? ['/assets/copy-button.js'] : [],
      children: (
        <>
          <p class="lead">
            Les canaux numériques reçoivent les fichiers de vos abonnements. Une nouvelle adresse e-mail reste
            inactive jusqu'à sa confirmation par le lien qui lui est envoyé ; un nouveau serveur, jusqu'à un
            test réussi.
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
          {table(
            'Adresse(s) e-mail',
            channels.filter((c) => c.kind === 'email'),
            false,
          )}
          <details class="card" open={options.emailValues !== undefined}>
            <summary>Ajouter une adresse e-mail</summary>
            <form method="post" action="/portail/canaux/email" class="stack">
              <input type="hidden" name="_csrf" value={csrf} />
              <div class="field">
                <label for="email-libelle">Libellé</label>
                <input
                  id="email-libelle"
                  name="libelle"
                  value={options.emailValues ? field(options.emailValues, 'libelle') : ''}
                />
              </div>
              <div class="field">
                <label for="email-adresse">Adresse e-mail</label>
                <input
                  id="email-adresse"
                  name="email"
                  type="email"
                  required
                  value={options.emailValues ? field(options.emailValues, 'email') : ''}
                />
              </div>
              <div class="actions">
                <button type="submit">Ajouter l'adresse</button>
              </div>
            </form>
          </details>
          {table(
            'Serveur(s) FTP',
            channels.filter((c) => c.kind !== 'email'),
            true,
          )}
          <details class="card" open={options.serverValues !== undefined}>
            <summary>Ajouter un serveur</summary>
            <ServerForm csrf={csrf} values={options.serverValues} />
          </details>
          <KeySection csrf={csrf} revealed={options.revealed} keyCreatedAt={key?.createdAt} />
        </>
      ),
    },
    options.status ?? 200,
  );
}

const NOTICES: Readonly<Record<string, string>> = {
  email: 'Adresse ajoutée : un lien de confirmation lui a été envoyé. Elle sera active après confirmation.',
  serveur: 'Serveur ajouté : testez-le, puis activez-le.',
  modifie: 'Canal modifié : testez-le de nouveau avant de l’activer.',
  activer: 'Canal activé.',
  desactiver: 'Canal désactivé.',
  tester: 'Test terminé : le résultat est affiché étape par étape.',
  renvoyer: 'Un nouveau lien de confirmation a été envoyé.',
  cle: 'Une nouvelle clé de chiffrement a été créée.',
};

const CHANNEL_ERRORS = ['CHANNEL_INVALID', 'CHANNEL_NOT_ACTIVABLE', 'HOST_KEY_MISMATCH', 'DELIVERY_FAILED'];

/** "Vos canaux numériques": e-mails and servers, their test, and the encryption key. */
export function registerChannelsPage(app: FastifyInstance, ctx: PortalContext): void {
  const manager = (request: Parameters<typeof portalCaller>[1], reply: FastifyReply) =>
    portalCaller(ctx, request, reply, 'GESTION_SERVICES_DONNEES');

  app.get(
    '/portail/canaux',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      const done = queryOf(request).fait ?? '';
      return renderChannels(ctx, caller, reply, { notice: NOTICES[done] });
    }),
  );

  app.post(
    '/portail/canaux/email',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      const body = formOf(request);
      try {
        await ctx.channels.createEmailChannel(caller.actor, {
          label: field(body, 'libelle'),
          email: field(body, 'email'),
        });
        return reply.redirect('/portail/canaux?fait=email', 303);
      } catch (error) {
        const appError = formError(error, CHANNEL_ERRORS);
        return renderChannels(ctx, caller, reply, { error: appError, emailValues: body, status: 400 });
      }
    }),
  );

  app.post(
    '/portail/canaux/serveur',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      const body = formOf(request);
      try {
        await ctx.channels.createServerChannel(caller.actor, serverInput(body));
        return reply.redirect('/portail/canaux?fait=serveur', 303);
      } catch (error) {
        const appError = formError(error, CHANNEL_ERRORS);
        return renderChannels(ctx, caller, reply, { error: appError, serverValues: body, status: 400 });
      }
    }),
  );

  app.post(
    '/portail/canaux/cle/afficher',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      try {
        const revealed = await ctx.keys.reveal(caller.actor, {
          password: field(formOf(request), 'password'),
          verifyPassword: (password) => ctx.logins.confirmPassword(caller.user, password, ctx.clock.now()),
        });
        return renderChannels(ctx, caller, reply, { revealed });
      } catch (error) {
        const appError = formError(error, ['PASSWORD_CONFIRMATION_FAILED', 'RATE_LIMITED']);
        const status = appError.code === 'RATE_LIMITED' ? 429 : 403;
        return renderChannels(ctx, caller, reply, { error: appError, status });
      }
    }),
  );

  app.post(
    '/portail/canaux/cle/renouveler',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      if (field(formOf(request), 'confirmation') !== '1') {
        return renderChannels(ctx, caller, reply, {
          error: new AppError('INVALID_INPUT', 'rotation not confirmed'),
          status: 400,
        });
      }
      await ctx.keys.rotate(caller.actor);
      return reply.redirect('/portail/canaux?fait=cle', 303);
    }),
  );

  app.get(
    '/portail/canaux/:id',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      const channel = await ctx.channels.get(caller.actor, idParam(request));
      return sendPage(reply, {
        title: 'Modifier un serveur',
        viewer: caller.viewer,
        current: '/portail/canaux',
        breadcrumb: [
          { label: 'Accueil', href: '/portail' },
          { label: TITLE, href: '/portail/canaux' },
          { label: channel.label },
        ],
        children:
          channel.kind === 'email' ? (
            <p
              safe
            >{`Adresse e-mail ${channel.email ?? ''} : supprimez-la en la désactivant, puis ajoutez la bonne.`}</p>
          ) : (
            <ServerForm csrf={caller.viewer.csrfToken} channel={channel} />
          ),
      });
    }),
  );

  app.post(
    '/portail/canaux/:id',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      const id = idParam(request);
      const channel = await ctx.channels.get(caller.actor, id);
      const body = formOf(request);
      try {
        await ctx.channels.updateServerChannel(caller.actor, id, serverInput(body));
        return reply.redirect('/portail/canaux?fait=modifie', 303);
      } catch (error) {
        const appError = formError(error, CHANNEL_ERRORS);
        return sendPage(
          reply,
          {
            title: 'Modifier un serveur',
            viewer: caller.viewer,
            current: '/portail/canaux',
            children: (
              <>
                <Alert kind="error">
                  <span safe>{frenchMessage(appError)}</span>
                </Alert>
                <ServerForm csrf={caller.viewer.csrfToken} channel={channel} values={body} />
              </>
            ),
          },
          400,
        );
      }
    }),
  );

  app.post(
    '/portail/canaux/:id/:action',
    { schema: { hide: true } },
    portalPage(ctx, async (request, reply) => {
      const caller = await manager(request, reply);
      const id = idParam(request);
      const action = (request.params as Record<string, string>).action ?? '';
      try {
        if (action === 'activer') await ctx.channels.activate(caller.actor, id);
        else if (action === 'desactiver') await ctx.channels.deactivate(caller.actor, id);
        else if (action === 'tester') await ctx.channels.test(caller.actor, id);
        else if (action === 'renvoyer') await ctx.channels.resendConfirmation(caller.actor, id);
        else throw new AppError('NOT_FOUND', `unknown channel action ${action}`);
        return reply.redirect(`/portail/canaux?fait=${action}#canal-${id}`, 303);
      } catch (error) {
        const appError = formError(error, CHANNEL_ERRORS);
        return renderChannels(ctx, caller, reply, { error: appError, status: 409 });
      }
    }),
  );

  // The link mailed to a new address: a GET only shows a button (mail scanners open links).
  app.get('/portail/canaux/confirmation', { schema: { hide: true } }, async (request, reply) => {
    const token = queryOf(request).jeton ?? '';
    return sendPage(reply, {
      title: 'Confirmer une adresse de réception',
      viewer: null,
      children: (
        <form method="post" action="/portail/canaux/confirmation" class="stack card narrow">
          <input type="hidden" name="_csrf" value={csrfTokenFor(request, reply)} />
          <input type="hidden" name="jeton" value={token} />
          <p>
            Confirmez que cette adresse doit recevoir les fichiers de données énergétiques de votre
            entreprise.
          </p>
          <div class="actions">
            <button type="submit">Confirmer l'adresse</button>
          </div>
        </form>
      ),
    });
  });

  app.post(
    '/portail/canaux/confirmation',
    { schema: { hide: true }, preHandler: app.csrfProtection },
    async (request, reply) => {
      try {
        const channel = await ctx.channels.confirmEmail(field(formOf(request), 'jeton'));
        return sendPage(reply, {
          title: 'Adresse confirmée',
          viewer: null,
          children: (
            <Alert kind="success">
              <span safe>{`L'adresse ${channel.email ?? ''} est confirmée et active.`}</span>
            </Alert>
          ),
        });
      } catch (error) {
        const appError = formError(error, ['CONFIRMATION_TOKEN_INVALID']);
        return sendPage(
          reply,
          {
            title: 'Lien invalide',
            viewer: null,
            children: (
              <Alert kind="error">
                <span safe>{frenchMessage(appError)}</span>
              </Alert>
            ),
          },
          400,
        );
      }
    },
  );
}
