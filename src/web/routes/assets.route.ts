import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);
const PUBLIC = path.resolve(import.meta.dirname, '../../../public');

/**
 * The few static files of the portal, by name (no directory listing, no path from the request). Every
 * script and style of the portal is one of them: the Content-Security-Policy allows no inline code.
 */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  'portal.css': { file: path.join(PUBLIC, 'portal.css'), type: 'text/css; charset=utf-8' },
  'prm-chart.js': { file: path.join(PUBLIC, 'prm-chart.js'), type: 'text/javascript; charset=utf-8' },
  'copy-button.js': { file: path.join(PUBLIC, 'copy-button.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.iife.min.js': {
    file: path.join(path.dirname(require.resolve('uplot')), 'uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'uPlot.min.css': {
    file: path.join(path.dirname(require.resolve('uplot')), 'uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
};

export function registerAssetRoutes(app: FastifyInstance): void {
  // The only answers a browser or a proxy may keep (`staticAsset`): the server makes every other one no-store.
  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    { config: { staticAsset: true } },
    (request, reply) => {
      const asset = Object.hasOwn(ASSETS, request.params.name) ? ASSETS[request.params.name] : undefined;
      if (!asset) return reply.code(404).send({ code: 'NOT_FOUND', message: 'Ressource introuvable.' });
      return reply
        .header('content-type', asset.type)
        .header('cache-control', 'public, max-age=3600')
        .send(createReadStream(asset.file));
    },
  );
}
