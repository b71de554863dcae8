import type { ApiRouteModule } from './api-context.js';
import { auditRoutes } from './audit.routes.js';
import { authRoutes } from './auth.routes.js';
import { fluxRoutes } from './flux.routes.js';
import { channelRoutes } from './channels.routes.js';
import { deliveryRoutes } from './deliveries.routes.js';
import { encryptionKeyRoutes } from './encryption-key.routes.js';
import { measurementRoutes } from './measurements.routes.js';
import { operatorRunRoutes } from './operator-runs.routes.js';
import { operatorRoutes } from './operator.routes.js';
import { prmMeasurementRoutes } from './prm-measurements.routes.js';
import { publicationSettingsRoutes } from './publication-settings.routes.js';
import { subscriptionRoutes } from './subscriptions.routes.js';
import { tokenRoutes } from './tokens.routes.js';
import { userRoutes } from './users.routes.js';

/**
 * Every area of the REST API, mounted under `/api/v1`. Add a module with one line here, and give each
 * of its routes an entry in test/web/cross-tenant.test.ts (the test fails for a route without one).
 */
export const API_ROUTE_MODULES: readonly ApiRouteModule[] = [
  authRoutes,
  tokenRoutes,
  userRoutes,
  subscriptionRoutes,
  auditRoutes,
  operatorRoutes,
  operatorRunRoutes,
  fluxRoutes,
  channelRoutes,
  publicationSettingsRoutes,
  encryptionKeyRoutes,
  deliveryRoutes,
  measurementRoutes,
  prmMeasurementRoutes,
];
