import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseKeyHex } from '../../crypto/customer-cipher.js';
import { AppError } from '../../domain/app-error.js';
import { frenchMessage } from '../error-messages.js';
import { requireOperator } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody } from './api-schemas.js';

const Counts = {
  curvePoints: Type.Integer(),
  indexReadings: Type.Integer(),
  curveDaysChanged: Type.Integer({ description: 'curve days created or changed (0 when re-posted)' }),
  indexReadingsChanged: Type.Integer(),
  bestDaysChanged: Type.Integer({ description: 'corrected (BEST) days recomputed' }),
};

const ImportSummaryView = Type.Object({
  file: Type.String(),
  parts: Type.Array(
    Type.Object({
      file: Type.String(),
      flux: Type.Union([Type.Literal('R63'), Type.Literal('R64')]),
      format: Type.Union([Type.Literal('CSV'), Type.Literal('JSON')]),
      ...Counts,
      warnings: Type.Array(Type.String()),
    }),
    { description: 'the file itself, or the one file of the zip' },
  ),
  ...Counts,
  warnings: Type.Array(Type.String(), { description: 'quality warnings, never a refusal' }),
});

const ImportRejectedBody = Type.Object({
  code: Type.String(),
  message: Type.String({ description: 'French' }),
  errors: Type.Array(Type.String(), {
    description:
      'each broken rule: `<file>: <line N | JSON path>: <rule>` (the first 20); for a damaged archive or ' +
      'an undecryptable file, the one reason',
  }),
});

const MEDIA_TYPES = ['application/octet-stream', 'application/zip', 'text/csv', 'application/json'];

/**
 * The body, failing once more than `limit` bytes came (chunked bodies declare no length). The request
 * itself is left alone on overflow (only unpiped), so the client still receives the 413 answer
 * instead of a reset connection; a client that goes away fails the import.
 */
function limitedTo(body: Readable, limit: number): Readable {
  let seen = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) {
        callback(new AppError('UPLOAD_TOO_LARGE', `body above ${limit} bytes`, { limit }));
        return;
      }
      callback(null, chunk);
    },
  });
  // The import finds an error on `limiter` itself (its pipeline checks `errored`); this listener only
  // keeps one raised before the import starts reading from counting as unhandled.
  limiter.on('error', () => undefined);
  body.on('error', (error) => limiter.destroy(error));
  body.on('close', () => {
    if (!body.readableEnded) limiter.destroy(new AppError('INVALID_INPUT', 'the upload was interrupted'));
  });
  return body.pipe(limiter);
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `true` or `false` (absent: false), from the query parameter or else the header. */
function flag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new AppError('INVALID_INPUT', `${name} must be true or false, not "${value.slice(0, 20)}"`);
}

/**
 * `POST /measurements`: an operator posts one R63/R64 file as the raw body. The request stream goes
 * straight to the import (spooled to a temporary file, never held in memory); the body parser of this
 * route hands the stream over instead of reading it, whatever the content type.
 */
export const measurementRoutes: ApiRouteModule = (app, ctx) => {
  void app.register((scoped, _options, done) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser('*', (_request: unknown, payload: IncomingMessage, parsed) =>
      parsed(null, payload),
    );

    scoped.withTypeProvider<TypeBoxTypeProvider>().post(
      '/measurements',
      {
        preHandler: requireOperator,
        schema: {
          tags: ['operator'],
          summary: 'Import an R63 (curves) or R64 (index) file, all or nothing',
          description:
            'The body is the file: CSV or JSON, plain, zipped, or an encrypted zip (customer scheme, key ' +
            'in the `X-Encryption-Key` header or `key` parameter). The same file posted again changes ' +
            'nothing. A file breaking any rule is rejected whole (400 `IMPORT_REJECTED`) with the line ' +
            'or JSON path and the rule of each error. A zip holds exactly one file, no nested archive, and ' +
            'is checked as it is inflated (sizes, CRC-32, at most `PUBLIWATT_IMPORT_MAX_UNCOMPRESSED_BYTES` ' +
            'uncompressed and `PUBLIWATT_IMPORT_MAX_ZIP_RATIO` times its compressed size); a damaged or ' +
            'oversized archive is an `IMPORT_REJECTED` too, an undecryptable file a 400 ' +
            '`DECRYPTION_FAILED`, both with the reason in `errors`. With `bulkFeed=true` (or ' +
            "`X-Bulk-Feed: true`) the file is the distributor's bulk feed (a metering system's daily " +
            'output spanning many SIRENs): the recipient a JSON header names is not checked against the ' +
            'owners of its PRMs.',
          consumes: MEDIA_TYPES,
          body: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'the file' }),
          querystring: Type.Object({
            fileName: Type.Optional(
              Type.String({ maxLength: 255, description: 'name used in messages (or `X-File-Name`)' }),
            ),
            key: Type.Optional(
              Type.String({
                description: '64 hex characters: the body is encrypted (or `X-Encryption-Key`)',
              }),
            ),
            bulkFeed: Type.Optional(
              Type.Union([Type.Literal('true'), Type.Literal('false')], {
                description: "`true`: the distributor's bulk feed (or `X-Bulk-Feed: true`); default false",
              }),
            ),
          }),
          response: {
            200: ImportSummaryView,
            400: Type.Union([ImportRejectedBody, ErrorBody]),
            413: ErrorBody,
            ...AUTH_ERRORS,
          },
        },
        // The body is the request stream itself and the query optional strings: nothing to validate here
        // (the import checks the content, `parseKeyHex` the key, `flag` the bulk-feed flag).
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        const declared = Number(request.headers['content-length'] ?? NaN);
        if (declared > ctx.uploadLimitBytes) {
          throw new AppError('UPLOAD_TOO_LARGE', `declared ${declared} bytes`, {
            limit: ctx.uploadLimitBytes,
          });
        }
        const body = request.body as Readable | undefined;
        if (!body || declared === 0) throw new AppError('INVALID_INPUT', 'the body must be the file');
        const query = request.query as Record<string, string | string[] | undefined>;
        const keyHex = firstOf(query.key) ?? firstOf(request.headers['x-encryption-key']);
        const fileName = (
          firstOf(query.fileName) ??
          firstOf(request.headers['x-file-name']) ??
          'measurements'
        ).slice(0, 255);
        const bulkFeed =
          query.bulkFeed !== undefined
            ? flag('bulkFeed', firstOf(query.bulkFeed))
            : flag('X-Bulk-Feed', firstOf(request.headers['x-bulk-feed']));
        try {
          return await ctx.imports.measurementStream(limitedTo(body, ctx.uploadLimitBytes), {
            fileName,
            key: keyHex === undefined ? undefined : parseKeyHex(keyHex),
            now: ctx.clock.now(),
            bulkFeed,
            limits: ctx.importLimits,
          });
        } catch (error) {
          // The rest of an oversized body is not read: the connection cannot carry another request.
          if (error instanceof AppError && error.code === 'UPLOAD_TOO_LARGE')
            reply.header('connection', 'close');
          if (
            !(error instanceof AppError) ||
            (error.code !== 'IMPORT_REJECTED' && error.code !== 'DECRYPTION_FAILED')
          )
            throw error;
          const messages = error.params.messages;
          return reply.code(400).send({
            code: error.code,
            message: frenchMessage(error),
            errors: typeof messages === 'string' ? messages.split('\n') : [error.detail],
          });
        }
      },
    );
    done();
  });
};
