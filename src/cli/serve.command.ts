import { publicUrlOf } from '../config.js';
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { DEMO_LOGINS, seedDemo } from '../demo/seed-demo.js';
import { buildServer } from '../web/server.js';
import { openContext } from './context.js';
import { parsePortOption, parseSecondsOption } from './options.js';
import { createDeliveryServices } from '../delivery/delivery-services.js';
import { startBackgroundJobs } from '../jobs/background-jobs.js';
import { removeAbandonedTemporaryFiles } from '../jobs/start-cleanup.js';
import { createPublicationEngine } from '../publication/publication-engine.js';
import { DEFAULT_SHUTDOWN_GRACE_SECONDS, untilStopped } from './graceful-stop.js';

interface ServeOptions {
  demo?: boolean;
  port?: number;
  host?: string;
  jobInterval: number;
  shutdownGrace: number;
}

/**
 * Stops accepting connections at once and lets requests under way finish; those still open after
 * `cancelAfterMs` (a long download or upload) are cut.
 */
async function closeHttp(
  app: Pick<FastifyInstance, 'close' | 'server'>,
  cancelAfterMs: number,
): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), cancelAfterMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}

/** The host part of a URL reaching a server listening on `host`. */
function browsableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the portal, the REST API, the scheduler and the workers in one process')
    .option('--demo', 'seed the demo entreprise when the database has none, and print its logins')
    .option('--port <port>', 'TCP port to listen on (default: $PORT or 3000)', parsePortOption)
    .option(
      '--host <address>',
      'address to listen on (default: 0.0.0.0, every interface; with --demo: 127.0.0.1, this machine only)',
    )
    .option(
      '--job-interval <seconds>',
      'pause between two passes of publication and delivery work',
      parseSecondsOption,
      30,
    )
    .option(
      '--shutdown-grace <seconds>',
      'on SIGTERM/SIGINT, how long requests and work in flight may finish before they are cut and given back',
      parseSecondsOption,
      DEFAULT_SHUTDOWN_GRACE_SECONDS,
    )
    .action(async (options: ServeOptions) => {
      const context = await openContext({ port: options.port, checkMasterKey: true });
      const { config, database, logger, clock } = context;
      await removeAbandonedTemporaryFiles({ dataDir: config.dataDir, now: clock.now(), logger });
      if (config.masterKeySource === 'generated') {
        logger.warn(
          { file: `${config.dataDir}/master.key` },
          'generated a master key in the data directory; set PUBLIWATT_MASTER_KEY in production',
        );
      }
      if (options.demo) {
        const seeded = await seedDemo(database.db, clock.now());
        if (seeded) logger.info('demo entreprise seeded');
      }
      const delivery = createDeliveryServices({
        config,
        handle: database,
        clock,
        portalUrl: publicUrlOf(config),
        logger,
      });
      const publication = createPublicationEngine({
        config,
        database,
        clock,
        logger,
        notifier: delivery.notifier,
        mailer: delivery.mailer,
      });
      const app = await buildServer({
        ...context,
        mailer: delivery.mailer,
        notifier: delivery.notifier,
        publication,
      });
      // The demo prints its passwords: it stays on this machine unless asked otherwise.
      const host = options.host ?? (options.demo ? '127.0.0.1' : '0.0.0.0');
      await app.listen({ port: config.port, host });
      const jobs = startBackgroundJobs({
        engine: publication,
        dispatcher: delivery.dispatcher(publication.files),
        clock,
        logger,
        intervalMs: options.jobInterval * 1000,
      });
      if (options.demo) {
        const lines = DEMO_LOGINS.map((l) => `  ${l.email.padEnd(32)} ${l.password.padEnd(22)} ${l.role}`);
        process.stdout.write(
          `\nPubliwatt démo : http://${browsableHost(host)}:${config.port}\nComptes de démonstration :\n${lines.join('\n')}\n\n`,
        );
      }
      await untilStopped({
        logger,
        graceSeconds: options.shutdownGrace,
        async stop(budget) {
          try {
            // Both at once: the port closes first thing, background work drains meanwhile.
            await Promise.all([closeHttp(app, budget.cancelAfterMs), jobs.stop(budget)]);
          } finally {
            await database.destroy();
          }
        },
      });
    });
}
