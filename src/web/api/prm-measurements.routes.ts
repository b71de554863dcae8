import { Type } from '@sinclair/typebox';
import { dayInAttachments, requirePrmInScope } from '../../auth/prm-scope.js';
import { AppError } from '../../domain/app-error.js';
import { addDays, localDayOf } from '../../domain/paris-calendar.js';
import { readPrmMeasurements } from '../../meterdata/prm-measurements.js';
import { currentUser } from '../guards.js';
import type { ApiRouteModule } from './api-context.js';
import { AUTH_ERRORS, ErrorBody } from './api-schemas.js';

/** Longest range one call returns (a category A PRM has 288 points a day). */
export const MAX_MEASUREMENT_DAYS = 62;

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local day AAAA-MM-JJ (Paris)' });

const Series = Type.Object({
  t: Type.Array(Type.Integer(), { description: 'interval start, ms since epoch' }),
  w: Type.Array(Type.Union([Type.Integer(), Type.Null()]), { description: 'active power, W' }),
  n: Type.Array(Type.Union([Type.String(), Type.Null()]), {
    description: 'nature of each point (R, B, E estimated, C corrected, …); null = no point',
  }),
});

/** Curves and index of one PRM over a date range, for the portal's chart and for integrators. */
export const prmMeasurementRoutes: ApiRouteModule = (app, ctx) => {
  app.get(
    '/prms/:prm/measurements',
    {
      schema: {
        tags: ['measurements'],
        summary: 'Raw and corrected load curve (active power) and index readings of a PRM',
        description:
          'Days `[from, to)` in Paris time, at most 62; only the days the PRM was attached to one of ' +
          "the caller's SIRENs. Default: the last 7 days.",
        params: Type.Object({ prm: Type.String({ pattern: '^\\d{14}$' }) }),
        querystring: Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }),
        response: {
          200: Type.Object({
            prm: Type.String(),
            category: Type.String(),
            step: Type.String(),
            from: Day,
            to: Day,
            raw: Series,
            corrected: Series,
            index: Type.Array(Type.Object({ day: Day, register: Type.String(), valueWh: Type.Number() })),
          }),
          400: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const user = currentUser(request, 'READ');
      const scoped = await requirePrmInScope(ctx.db, user, request.params.prm);
      const today = localDayOf(ctx.clock.now());
      const to = request.query.to ?? addDays(today, 1);
      const from = request.query.from ?? addDays(to, -7);
      if (from >= to || addDays(from, MAX_MEASUREMENT_DAYS) < to) {
        throw new AppError('INVALID_INPUT', `bad range ${from}..${to}`);
      }
      const data = await readPrmMeasurements(ctx.db, scoped.record.prm, from, to, (day) =>
        dayInAttachments(scoped.attachments, day),
      );
      return {
        prm: scoped.record.prm,
        category: scoped.record.category,
        step: scoped.record.step,
        from,
        to,
        raw: data.raw,
        corrected: data.corrected,
        index: data.index.map((r) => ({ day: r.day, register: r.register, valueWh: r.valueWh })),
      };
    },
  );
};
