import type { FastifyInstance } from 'fastify';
import { AppError, toAppError } from '../../domain/app-error.js';
import type { ApiContext } from '../api/api-context.js';
import { frenchMessage } from '../error-messages.js';
import { Alert } from '../portal/components.js';
import { Layout } from '../portal/layout.js';

function ConfirmedPage(props: { email: string }): JSX.Element {
  return (
    <Layout title="Adresse confirmée" viewer={null}>
      <Alert kind="success" title="Merci, votre adresse est confirmée.">
        <p>
          L'adresse <strong safe>{props.email}</strong> est désormais active : elle recevra les fichiers de
          données énergétiques des abonnements qui lui sont associés.
        </p>
      </Alert>
      <p>Vous pouvez fermer cette page.</p>
    </Layout>
  );
}

function RefusedPage(props: { message: string }): JSX.Element {
  return (
    <Layout title="Confirmation impossible" viewer={null}>
      <Alert kind="error" title="Cette adresse n'a pas été confirmée.">
        <p safe>{props.message}</p>
      </Alert>
      <p>
        Demandez à la personne qui gère les canaux de votre entreprise sur Publiwatt de vous renvoyer un lien
        de confirmation. Tant que l'adresse n'est pas confirmée, aucun fichier ne lui est envoyé.
      </p>
    </Layout>
  );
}

/**
 * The link mailed to a new e-mail channel: following it proves the mailbox is the right one and makes
 * the channel Actif. Public (the token is the proof), single use, expiring; answers a French page.
 */
export function registerChannelConfirmationRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { jeton?: string } }>(
    '/canaux/confirmation',
    { schema: { hide: true } },
    async (request, reply) => {
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      const token = typeof request.query.jeton === 'string' ? request.query.jeton : '';
      try {
        if (!token) throw new AppError('CONFIRMATION_TOKEN_INVALID', 'no token in the link');
        const channel = await ctx.delivery.channels.confirmEmail(token);
        return reply.code(200).send(await ConfirmedPage({ email: channel.email ?? channel.label }));
      } catch (error) {
        const appError = toAppError(error);
        if (appError.code !== 'CONFIRMATION_TOKEN_INVALID') throw error;
        return reply.code(400).send(await RefusedPage({ message: frenchMessage(appError) }));
      }
    },
  );
}
