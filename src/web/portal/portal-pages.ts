import type { FastifyInstance } from 'fastify';
import type { PortalContext } from './portal-context.js';
import { registerLoginPages } from './pages/login.page.js';
import { registerSubscriptionsPage } from './pages/subscriptions.page.js';
import { registerPublicationPage } from './pages/publication.page.js';
import { registerChannelsPage } from './pages/channels.page.js';
import { registerHomePage } from './pages/home.page.js';
import { registerCollectionPage } from './pages/collection.page.js';
import { registerUsersPages } from './pages/users.page.js';
import { registerJournalPage } from './pages/journal.page.js';
import { registerMetersPages } from './pages/meters.page.js';
import { registerFluxPages } from './pages/flux.page.js';

/** A group of portal pages: registers its routes. Each route needs an entry in test/web/cross-tenant.test.ts. */
export type PortalPageModule = (app: FastifyInstance, context: PortalContext) => void;

/** Every server-rendered page of the portal, in menu order. */
export const PORTAL_PAGE_MODULES: readonly PortalPageModule[] = [
  registerLoginPages,
  registerHomePage,
  registerMetersPages,
  registerSubscriptionsPage,
  registerPublicationPage,
  registerCollectionPage,
  registerFluxPages,
  registerChannelsPage,
  registerUsersPages,
  registerJournalPage,
];
