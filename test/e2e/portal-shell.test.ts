import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import type { Habilitation } from '../../src/domain/habilitations.js';
import { registerAssetRoutes } from '../../src/web/routes/assets.route.js';
import { Layout } from '../../src/web/portal/layout.js';
import { launchBrowser, screenshot } from '../support/browser.js';

/** The frame of every portal page, in a real browser: menu by habilitation, escaping, keyboard. */
describe('portal layout in Chromium', () => {
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  before(async () => {
    app = Fastify();
    registerAssetRoutes(app);
    app.get<{ Querystring: { h?: string } }>('/frame', async (request, reply) => {
      const habilitations = (request.query.h ?? '').split(',').filter(Boolean) as Habilitation[];
      const html = await Layout({
        title: 'Accueil',
        viewer: {
          displayName: '<b>Marie</b>',
          email: 'marie@example.fr',
          entrepriseName: 'Démo & Cie',
          habilitations,
          csrfToken: 'token',
        },
        current: '/portail',
        children: '<p>contenu</p>',
      });
      return reply.type('text/html; charset=utf-8').send(html);
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows only the menu entries a user may use, and escapes names', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/frame?h=CONSULTATION`);
    const links = await page.locator('.main-nav a').allTextContents();
    assert.deepEqual(
      links.map((l) => l.trim()),
      [
        'Accueil',
        'Vos compteurs',
        'Vos abonnements',
        'Gérer la collecte de la courbe de charge',
        'Recherche de flux',
      ],
    );
    assert.equal(await page.locator('.session-user').textContent(), '<b>Marie</b>');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    const css = await page.evaluate<string>(
      "getComputedStyle(document.querySelector('.site-header')).display",
    );
    assert.equal(css, 'flex', 'the stylesheet is served and applied');
    await screenshot(page, 'layout-consultation');
    await page.goto(`${base}/frame?h=GESTION_UTILISATEURS,GESTION_SERVICES_DONNEES,CONSULTATION`);
    const all = await page.locator('.main-nav a').allTextContents();
    assert.ok(all.some((l) => l.includes('Vos canaux numériques')));
    assert.ok(all.some((l) => l.includes('Habilitation de vos utilisateurs')));
    assert.ok(all.some((l) => l.includes('Journal')));
    await page.close();
  });

  it('offers a skip link as the first keyboard stop', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/frame?h=CONSULTATION`);
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate<string>('document.activeElement.textContent.trim()'),
      'Aller au contenu',
    );
    await page.close();
  });
});
