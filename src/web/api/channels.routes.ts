import { Type, type Static } from '@sinclair/typebox';
import type { ChannelView } from '../../delivery/channel.service.js';
import { currentUser } from '../guards.js';
import { serviceActorOf } from '../service-actor-of.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from './api-schemas.js';

const Instant = Type.String({ format: 'date-time' });
const NullableInstant = Type.Union([Instant, Type.Null()]);
const ServerKind = Type.Union([Type.Literal('sftp'), Type.Literal('ftps'), Type.Literal('ftp')]);

const TestStepView = Type.Object({
  step: Type.Union([
    Type.Literal('connect'),
    Type.Literal('write'),
    Type.Literal('rename'),
    Type.Literal('delete'),
  ]),
  ok: Type.Boolean(),
  message: Type.String({
    description:
      'in French: what the step did, or on failure the text of `failure` (never the server’s reply)',
  }),
  failure: Type.Optional(
    Type.Union(
      [
        Type.Literal('address-refused'),
        Type.Literal('not-found'),
        Type.Literal('unreachable'),
        Type.Literal('authentication'),
        Type.Literal('permission'),
        Type.Literal('tls'),
        Type.Literal('host-key'),
        Type.Literal('transfer'),
      ],
      { description: 'on failure, what failed (see docs/delivery.md)' },
    ),
  ),
});

/**
 * A channel as the API shows it. The schema is also the serializer: a property not listed here (a
 * password, a private key, a confirmation token) cannot reach a response.
 */
export const ChannelViewSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.Union([Type.Literal('email'), ServerKind]),
  label: Type.String(),
  status: Type.Union([Type.Literal('ACTIF'), Type.Literal('INACTIF')]),
  email: Type.Union([Type.String(), Type.Null()]),
  host: Type.Union([Type.String(), Type.Null()]),
  port: Type.Union([Type.Integer(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  remoteDir: Type.Union([Type.String(), Type.Null()]),
  authKind: Type.Union([Type.Literal('password'), Type.Literal('key'), Type.Null()]),
  hasSecret: Type.Boolean({ description: 'a password or key is stored (it is never returned)' }),
  hostKeyFingerprint: Type.Union([Type.String(), Type.Null()], {
    description: 'SFTP: host key pinned at the first successful test (`SHA256:…`)',
  }),
  allowSelfSigned: Type.Boolean({ description: 'FTPS: certificate verification turned off' }),
  insecure: Type.Boolean({ description: 'plain FTP: password and files travel in clear' }),
  confirmedAt: NullableInstant,
  lastTest: Type.Union([
    Type.Object({ at: Instant, ok: Type.Boolean(), steps: Type.Array(TestStepView) }),
    Type.Null(),
  ]),
  createdAt: Instant,
  updatedAt: Instant,
});

function channelView(channel: ChannelView): Static<typeof ChannelViewSchema> {
  return {
    id: channel.id,
    kind: channel.kind,
    label: channel.label,
    status: channel.status,
    email: channel.email,
    host: channel.host,
    port: channel.port,
    username: channel.username,
    remoteDir: channel.remoteDir,
    authKind: channel.authKind,
    hasSecret: channel.hasSecret,
    hostKeyFingerprint: channel.hostKeyFingerprint,
    allowSelfSigned: channel.allowSelfSigned,
    insecure: channel.insecure,
    confirmedAt: channel.confirmedAt,
    lastTest: channel.lastTest,
    createdAt: channel.createdAt,
    updatedAt: channel.updatedAt,
  };
}

const ServerInput = Type.Object(
  {
    kind: ServerKind,
    label: Type.String({ maxLength: 200 }),
    host: Type.String({ minLength: 1, maxLength: 255 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    username: Type.String({ minLength: 1, maxLength: 200 }),
    remoteDir: Type.Optional(Type.String({ maxLength: 1024 })),
    authKind: Type.Optional(Type.Union([Type.Literal('password'), Type.Literal('key')])),
    secret: Type.Optional(
      Type.String({
        maxLength: 16384,
        description:
          'password, or the private key (PEM/OpenSSH) when authKind is `key`; on edit, absent keeps the stored one',
      }),
    ),
    allowSelfSigned: Type.Optional(
      Type.Boolean({ description: 'FTPS only: accept a self-signed certificate' }),
    ),
    insecureAcknowledged: Type.Optional(
      Type.Boolean({ description: 'must be true for plain FTP (not encrypted)' }),
    ),
  },
  { additionalProperties: false },
);

const EmailInput = Type.Object(
  {
    kind: Type.Literal('email'),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    email: Type.String({ minLength: 3, maxLength: 320 }),
  },
  { additionalProperties: false },
);

const WRITE_ERRORS = { 400: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS } as const;

/**
 * "Vos canaux numériques": e-mail addresses and file servers of the entreprise. Reads need any
 * habilitation; changes need GESTION_SERVICES_DONNEES and are audited by the channel service.
 */
export const channelRoutes: ApiRouteModule = (app, ctx) => {
  const channels = ctx.delivery.channels;

  app.get(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        summary: "The entreprise's channels (secrets are never returned)",
        response: { 200: Type.Array(ChannelViewSchema), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      return (await channels.list(serviceActorOf(user))).map(channelView);
    },
  );

  app.get(
    '/channels/:id',
    {
      schema: {
        tags: ['channels'],
        summary: 'One channel',
        params: IdParams,
        response: { 200: ChannelViewSchema, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      return channelView(await channels.get(serviceActorOf(user), request.params.id));
    },
  );

  app.post(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        summary: 'Add an e-mail address or a file server (Inactif until confirmed or tested)',
        description:
          'An e-mail address receives a single-use confirmation link (valid 48 h) and becomes Actif when ' +
          'it is followed. A server (sftp, ftps, or ftp with `insecureAcknowledged: true`) can be ' +
          'activated after a successful `POST /channels/{id}/test`.',
        body: Type.Union([EmailInput, ServerInput]),
        response: { 201: ChannelViewSchema, ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      const actor = serviceActorOf(user);
      const body = request.body;
      const created =
        body.kind === 'email'
          ? await channels.createEmailChannel(actor, { label: body.label ?? '', email: body.email })
          : await channels.createServerChannel(actor, body);
      return reply.code(201).send(channelView(created));
    },
  );

  app.put(
    '/channels/:id',
    {
      schema: {
        tags: ['channels'],
        summary: 'Edit a file server (a change of connection settings makes it Inactif until tested)',
        description:
          'E-mail addresses are not edited: add the new one. A new host or port also drops the pinned ' +
          'SFTP host key.',
        params: IdParams,
        body: ServerInput,
        response: { 200: ChannelViewSchema, ...WRITE_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      return channelView(
        await channels.updateServerChannel(serviceActorOf(user), request.params.id, request.body),
      );
    },
  );

  app.post(
    '/channels/:id/activate',
    {
      schema: {
        tags: ['channels'],
        summary: 'Actif: a confirmed address, or a server whose last test succeeded',
        params: IdParams,
        response: { 200: ChannelViewSchema, ...WRITE_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      return channelView(await channels.activate(serviceActorOf(user), request.params.id));
    },
  );

  app.post(
    '/channels/:id/deactivate',
    {
      schema: {
        tags: ['channels'],
        summary: 'Inactif: receives nothing until activated again',
        params: IdParams,
        response: { 200: ChannelViewSchema, ...WRITE_ERRORS },
      },
    },
    async (request) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      return channelView(await channels.deactivate(serviceActorOf(user), request.params.id));
    },
  );

  app.post(
    '/channels/:id/confirmation',
    {
      schema: {
        tags: ['channels'],
        summary: 'Mail a new confirmation link to an unconfirmed address (the previous link stops working)',
        params: IdParams,
        response: { 204: Type.Null(), ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      const user = currentUser(request, 'GESTION_SERVICES_DONNEES');
      await channels.resendConfirmation(serviceActorOf(user), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/channels/:id/test',
    {
      schema: {
        tags: ['channels'],
        summary: 'Test a file server for real: connect, write a small file, rename it, delete it',
        description:
          "Answers each step's result. The first successful SFTP test pins the server's host key; a " +
          'different key later fails the test. A failed test is an answer (200, `ok: false`), not an error: ' +
          'the failed step says what failed in fixed words (`failure`), never the server’s reply, and the ' +
          'answer comes after a fixed delay (20 s). Hosts on loopback, private, link-local or reserved ' +
          'addresses are refused (`address-refused`) unless the operator allows them.',
        params: IdParams,
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            steps: Type.Array(TestStepView),
            hostKeyFingerprint: Type.Optional(Type.String()),
            channel: ChannelViewSchema,
          }),
          ...WRITE_ERRORS,
        },
      },
    },
    async (request) => {
      const actor = serviceActorOf(currentUser(request, 'GESTION_SERVICES_DONNEES'));
      const report = await channels.test(actor, request.params.id);
      return {
        ok: report.ok,
        steps: report.steps,
        ...(report.hostKeyFingerprint !== undefined ? { hostKeyFingerprint: report.hostKeyFingerprint } : {}),
        channel: channelView(await channels.get(actor, request.params.id)),
      };
    },
  );
};
