import { publicUrlOf } from '../config.js';
import { createDeliveryServices, type DeliveryServices } from '../delivery/delivery-services.js';
import { createPublicationEngine, type PublicationEngine } from '../publication/publication-engine.js';
import { openContext, type CommandContext } from './context.js';

/**
 * A command context with the publication engine and the delivery services wired from the configuration,
 * opened after the master key check (both read and write sealed data).
 */
export interface EngineContext extends CommandContext {
  engine: PublicationEngine;
  delivery: DeliveryServices;
  close(): Promise<void>;
}

export async function openEngineContext(
  options: { quiet?: boolean } = { quiet: true },
): Promise<EngineContext> {
  const context = await openContext({ ...options, checkMasterKey: true });
  const delivery = createDeliveryServices({
    config: context.config,
    handle: context.database,
    clock: context.clock,
    portalUrl: publicUrlOf(context.config),
    logger: context.logger,
  });
  const engine = createPublicationEngine({
    config: context.config,
    database: context.database,
    clock: context.clock,
    logger: context.logger,
    notifier: delivery.notifier,
    mailer: delivery.mailer,
  });
  return { ...context, engine, delivery, close: () => context.database.destroy() };
}
