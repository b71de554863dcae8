import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_SIREN_SITES } from '../../src/demo/seed-demo.js';
import { launchBrowser } from '../support/browser.js';
import { logIn, startPortalServer, type DemoRole, type PortalServer } from '../support/portal-server.js';
import { unzipSingle } from '../support/publication-fixtures.js';

/** A page whose documents, CSP violations and script errors are recorded. */
interface WatchedPage {
  page: Page;
  /** Violations reported so far (event, console or uncaught error), then forgotten. */
  takeViolations(): Promise<string[]>;
  /** The Content-Security-Policy of each document loaded so far, by URL. */
  documents: Array<{ url: string; csp: string | undefined }>;
}

/**
 * The customer portal in Chromium under the Content-Security-Policy the server sends: every page loads
 * its scripts and styles from the server's own files, none is refused, and the pages still work.
 */
describe('portal pages under their Content-Security-Policy in Chromium', () => {
  let server: PortalServer;
  let browser: Browser;

  before(async () => {
    server = await startPortalServer();
    browser = await launchBrowser();
    await server.publication.schedule();
    await server.publication.runPending();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function watched(role: DemoRole | null): Promise<WatchedPage> {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    const page = await context.newPage();
    const reported: string[] = [];
    const documents: WatchedPage['documents'] = [];
    // Runs before the page's own scripts (and is not subject to its policy).
    await page.addInitScript(`
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
      });
    `);
    page.on('console', (message) => {
      const text = message.text();
      // A 403 or 404 page is logged as a failed load: that is the page's status, not a refusal.
      const failedLoad = /^Failed to load resource: the server responded with a status of 40[34]/.test(text);
      if ((message.type() === 'error' && !failedLoad) || /Content Security Policy/i.test(text))
        reported.push(`console: ${text}`);
    });
    page.on('pageerror', (error) => reported.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.request().resourceType() === 'document' && response.frame() === page.mainFrame())
        documents.push({ url: response.url(), csp: response.headers()['content-security-policy'] });
    });
    if (role) await logIn(page, server.base, role);
    return {
      page,
      documents,
      takeViolations: async () => {
        const events = await page.evaluate<string[]>(
          '(window.cspViolations || []).splice(0, window.cspViolations ? window.cspViolations.length : 0)',
        );
        return [...events, ...reported.splice(0, reported.length)];
      },
    };
  }

  /** No violation since the last check, and every document so far came with the policy. */
  async function assertClean(w: WatchedPage, where: string): Promise<void> {
    assert.deepEqual(await w.takeViolations(), [], `${where}: nothing refused, no script error`);
    for (const doc of w.documents) {
      assert.match(doc.csp ?? '', /default-src 'self'/, `${doc.url} came with the policy`);
      assert.doesNotMatch(doc.csp ?? '', /unsafe-inline/, doc.url);
    }
  }

  it('refuses an inline script and reports it, so a clean page means a clean page', async () => {
    const w = await watched(null);
    await w.page.goto(`${server.base}/login`);
    await assertClean(w, 'login');
    await w.page.evaluate(`{
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true;';
      document.head.append(script);
      const styled = document.createElement('div');
      styled.setAttribute('style', 'color: red');
      document.body.append(styled);
    }`);
    await w.page.waitForTimeout(200);
    assert.equal(
      await w.page.evaluate<boolean>("'inlineRan' in window"),
      false,
      'the inline script did not run',
    );
    const violations = await w.takeViolations();
    assert.ok(
      violations.some((v) => v.includes('script-src')),
      violations.join('\n'),
    );
    assert.ok(
      violations.some((v) => v.includes('style-src')),
      violations.join('\n'),
    );
    await w.page.close();
  });

  it('shows every page of a manager without a violation, and they still work', async () => {
    const w = await watched('admin');
    const { page } = w;
    const base = server.base;
    await assertClean(w, 'login and home');

    for (const path of ['/portail', '/portail/compte', '/portail/collecte', '/portail/journal']) {
      await page.goto(`${base}${path}`);
      assert.equal(await page.locator('h1').count(), 1, path);
      await assertClean(w, path);
    }

    await page.goto(`${base}/portail/compteurs`);
    await page.click('main table a >> nth=0');
    await page.waitForSelector('#courbe canvas');
    assert.ok(Number(await page.getAttribute('#courbe', 'data-points')) > 0, 'the chart is drawn');
    await assertClean(w, 'PRM page and its chart');

    await page.goto(`${base}/portail/abonnements?siren=${DEMO_SIREN_SITES}&categorie=A`);
    await page.click('#ligne-INDEX-H a:has-text("Gérer la publication")');
    assert.match(await page.locator('h1').innerText(), /Gérer la publication/);
    await assertClean(w, 'grid and publication page');

    await page.goto(`${base}/portail/flux`);
    await page.selectOption('#frequence', 'Q');
    await page.click('text=Lancer la recherche');
    const searched = page.url();
    assert.ok((await page.locator('main table tbody tr').count()) > 0, 'the demo has published files');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('main table tbody tr').first().locator('a:has-text("Télécharger")').click(),
    ]);
    assert.ok((await unzipSingle(readFileSync((await download.path())!))).content.length > 0);
    // The re-send comes back to the same search: the browser sends the Referer to its own origin.
    await page.locator('main table tbody tr').first().locator('button:has-text("Renvoyer")').click();
    assert.match(await page.locator('.alert-success').innerText(), /sera renvoyé/);
    const back = new URL(page.url());
    assert.equal(back.pathname, '/portail/flux');
    assert.equal(back.searchParams.get('frequence'), new URL(searched).searchParams.get('frequence'));
    assert.equal(back.searchParams.get('renvoi'), 'ok');
    await assertClean(w, 'flux search, download and re-send');

    await page.goto(`${base}/portail/canaux`);
    await page.fill('#mot-de-passe-cle', 'Admin-Demo-2026!');
    await page.click('button:has-text("Afficher la clé")');
    const key = (await page.locator('#cle').innerText()).trim();
    assert.match(key, /^[0-9a-f]{64}$/);
    await page.click('#copier-cle');
    // A selector, not a page function: those are evaluated by `eval`, which the policy refuses.
    await page
      .waitForSelector('#copier-cle:has-text("Clé copiée")', { timeout: 5000 })
      .catch(() => undefined);
    await assertClean(w, 'channels, key and its copy button');
    assert.equal((await page.locator('#copier-cle').innerText()).trim(), 'Clé copiée');
    assert.equal(
      await page.evaluate<string>('navigator.clipboard.readText()'),
      key,
      'the copy button copies',
    );

    await page.goto(`${base}/portail/utilisateurs`);
    await page.click('main table a >> nth=0');
    assert.equal((await page.locator('input[name=habilitation]').count()) > 0, true, 'the fiche utilisateur');
    await assertClean(w, 'users');

    const missing = await page.goto(`${base}/portail/canaux/999999`);
    assert.equal(missing?.status(), 404);
    await assertClean(w, 'the 404 page');

    await page.click('text=Se déconnecter');
    assert.equal(new URL(page.url()).pathname, '/login');
    await assertClean(w, 'logout');
    await page.close();
  });

  it('shows the pages outside the session without a violation', async () => {
    const w = await watched(null);
    for (const path of [
      '/login',
      '/invitation?jeton=inconnu',
      '/portail/canaux/confirmation?jeton=inconnu',
    ]) {
      await w.page.goto(`${server.base}${path}`);
      await assertClean(w, path);
    }
    await w.page.close();
  });
});
