import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { addDays, localDayOf } from '../../src/domain/paris-calendar.js';
import { UserRepository } from '../../src/db/user.repository.js';
import { DEMO_SIREN_RESEAU, DEMO_SIREN_SITES } from '../../src/demo/seed-demo.js';
import { NAVIGATION } from '../../src/web/portal/navigation.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { logIn, startPortalServer, type DemoRole, type PortalServer } from '../support/portal-server.js';
import { unzipSingle } from '../support/publication-fixtures.js';

const HOURS = 3600_000;
const DEMO_PRM_FOREIGN = '99999999999999';

/** The customer portal in Chromium, against the real server seeded with the demo entreprise. */
describe('portal pages in Chromium', () => {
  let server: PortalServer;
  let browser: Browser;

  before(async () => {
    server = await startPortalServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function pageAs(role: DemoRole): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await logIn(page, server.base, role);
    return page;
  }

  it('sends an anonymous visitor to the login page, and a user to the home page after login', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.base}/portail/abonnements`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.fill('#email', 'admin@demo.publiwatt.fr');
    await page.fill('#password', 'wrong-password-here');
    await page.click('button[type=submit]');
    assert.match(await page.locator('[role=alert]').innerText(), /incorrect/);
    await screenshot(page, 'portal-login');
    await logIn(page, server.base, 'admin');
    assert.equal(await page.locator('h1').innerText(), 'Accueil');
    await screenshot(page, 'portal-home');
    await page.click('text=Se déconnecter');
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.goto(`${server.base}/portail`);
    assert.equal(new URL(page.url()).pathname, '/login', 'the session is over');
  });

  it('subscribes to a CSV daily index and shows the 72 h status; refuses CSV on the 150-PRM SIREN', async () => {
    const page = await pageAs('admin');
    await page.goto(`${server.base}/portail/abonnements?siren=${DEMO_SIREN_SITES}&categorie=A`);
    await page.check('input[name=format-INDEX-Q][value=CSV]');
    await page.check('input[name=souscrire-INDEX-Q]');
    await page.click('text=Enregistrer les modifications');
    assert.match(await page.locator('.alert-success').innerText(), /Modifications enregistrées/);
    const status = await page.locator('#ligne-INDEX-Q').innerText();
    assert.match(status, /En cours de prise en compte — effective le \d\d\/\d\d\/\d{4} à \d\dh\d\d/);
    await screenshot(page, 'portal-subscriptions');
    await page.click('.main-nav a:has-text("Accueil")');
    assert.match(
      await page.locator('section:has(h2:has-text("en cours de prise en compte"))').innerText(),
      /Index — Quotidienne \(CSV\)[\s\S]*Effectif le \d\d\/\d\d\/\d{4}/,
    );
    await page.goto(`${server.base}/portail/abonnements?siren=${DEMO_SIREN_SITES}&categorie=A`);

    await page.goto(`${server.base}/portail/abonnements?siren=${DEMO_SIREN_RESEAU}&categorie=B`);
    assert.match(await page.locator('main').innerText(), /seul le format JSON est disponible/);
    assert.equal(await page.locator('input[name=format-INDEX-Q][value=CSV]').isDisabled(), true);
    // A crafted form (the disabled radio re-enabled) is refused by the server, next to its line.
    await page.evaluate(
      "document.querySelectorAll('input[value=CSV]').forEach((i) => { i.disabled = false; })",
    );
    await page.check('input[name=format-INDEX-Q][value=CSV]');
    await page.check('input[name=souscrire-INDEX-Q]');
    await page.click('text=Enregistrer les modifications');
    assert.match(
      await page.locator('#ligne-INDEX-Q .error-text').innerText(),
      /Le format CSV n'est pas disponible : le SIREN compte 150 PRM/,
    );
    assert.match(await page.locator('#ligne-INDEX-Q').innerText(), /Non souscrit/);
    await screenshot(page, 'portal-subscriptions-refused');
    await page.close();
  });

  it('refuses channels before 72 h, then attaches a confirmed e-mail channel, and re-sends a failed delivery', async () => {
    const page = await pageAs('services');
    await page.goto(`${server.base}/portail/abonnements?siren=${DEMO_SIREN_SITES}&categorie=A`);
    await page.click('#ligne-INDEX-Q a:has-text("Gérer la publication")');
    assert.match(await page.locator('main').innerText(), /en cours de prise en compte : il sera effectif le/);
    assert.equal(await page.locator('input[name=canal]').count(), 0);
    const publicationUrl = page.url();

    await page.goto(`${server.base}/portail/canaux`);
    await page.click('text=Ajouter une adresse e-mail');
    await page.fill('#email-libelle', 'Service énergie <script>alert(1)</script>');
    await page.fill('#email-adresse', 'energie@client.example');
    await page.click('button:has-text("Ajouter l\'adresse")');
    assert.match(await page.locator('.alert-success').innerText(), /lien de confirmation/);
    // Escaping: the label is shown as text, never as markup.
    assert.match(
      await page.locator('table').first().innerText(),
      /Service énergie <script>alert\(1\)<\/script>/,
    );
    assert.equal(await page.locator('main script').count(), 0);
    const mail = server.mailer.sent.find((m) => m.to === 'energie@client.example');
    assert.ok(mail, 'a confirmation e-mail was sent to the address');
    const link = /https?:\/\/\S+\/portail\/canaux\/confirmation\?jeton=\S+/.exec(mail.text ?? '')?.[0];
    assert.ok(link, mail.text);
    const confirm = await (await browser.newContext()).newPage();
    await confirm.goto(`${server.base}${new URL(link).pathname}${new URL(link).search}`);
    await confirm.click("text=Confirmer l'adresse");
    assert.match(await confirm.locator('.alert-success').innerText(), /confirmée et active/);

    server.clock.advance(72 * HOURS);
    await logIn(page, server.base, 'services'); // the 8 h session ended with the clock's jump
    await page.goto(publicationUrl);
    // The demo's own e-mail channel is offered too; choose the new one.
    const newChannel = page.locator(
      'label.checkbox-line:has-text("energie@client.example") input[name=canal]',
    );
    await newChannel.check();
    await page.click('text=Enregistrer les modifications');
    assert.match(await page.locator('.alert-success').innerText(), /Canaux de publication enregistrés/);
    assert.equal(await newChannel.isChecked(), true);
    await screenshot(page, 'portal-publication');
    await page.goto(`${server.base}/portail/abonnements?siren=${DEMO_SIREN_SITES}&categorie=A`);
    assert.match(await page.locator('#ligne-INDEX-Q').innerText(), /Actif[\s\S]*Canaux : Service énergie/);

    // A delivery to this channel that failed for 72 h shows on the home page, with a re-send.
    const db = server.database.handle.db;
    const channel = await db
      .selectFrom('channel')
      .selectAll()
      .where('email', '=', 'energie@client.example')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('delivery')
      .values({
        publication_id: 41,
        channel_id: channel.id,
        entreprise_id: channel.entreprise_id,
        resend_seq: 0,
        status: 'failed',
        attempts: 12,
        next_attempt_at: server.clock.now().toISOString(),
        last_error: 'boîte pleine',
        created_at: server.clock.now().toISOString(),
      })
      .execute();
    await page.goto(`${server.base}/portail`);
    const failed = page.locator('section:has(h2:has-text("Envois en échec"))');
    assert.match(await failed.innerText(), /n° 41[\s\S]*boîte pleine/);
    await failed.locator('button:has-text("Renvoyer")').click();
    assert.match(await page.locator('.alert-success').innerText(), /renvoi est programmé/);
    const resent = await db
      .selectFrom('delivery')
      .selectAll()
      .where('publication_id', '=', 41)
      .where('resend_seq', '=', 1)
      .executeTakeFirst();
    assert.equal(resent?.status, 'pending');
    await page.close();
  });

  it('finds a publication in Recherche de flux by PRM and by contract, and downloads its zip', async () => {
    await server.publication.schedule();
    const outcomes = await server.publication.runPending();
    assert.ok(
      outcomes.some((o) => o.status === 'done'),
      'the demo windows are published',
    );
    const page = await pageAs('consultation');
    await page.click('.main-nav a:has-text("Recherche de flux")');
    await page.fill('#prm', '30002000000001');
    await page.click('text=Lancer la recherche');
    const byPrm = await page.locator('main table').innerText();
    assert.match(byPrm, /Enedis_R63B_Q_CdC_DEMO0004_356000000_\d{14}\.zip/);
    assert.doesNotMatch(byPrm, /552100554/, 'only files covering that PRM');
    await screenshot(page, 'portal-flux');

    await page.click('text=Réinitialiser');
    await page.fill('#contrat', 'CTR-00000007');
    await page.selectOption('#frequence', 'Q');
    await page.click('text=Lancer la recherche');
    assert.ok((await page.locator('main table tbody tr').count()) > 0, 'found by contract number');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('main table tbody tr').first().locator('a:has-text("Télécharger")').click(),
    ]);
    const zip = readFileSync((await download.path())!);
    const inner = await unzipSingle(zip);
    assert.match(inner.name, /^Enedis_R6[34][AB]_Q_(CdC|Index)_DEMO\d{4}_\d{5}_\d{14}\.(csv|json)$/);
    assert.ok(inner.content.length > 0);

    await page.click('text=Réinitialiser');
    await page.fill('#dateDebut', '2018-08-01');
    await page.click('text=Lancer la recherche');
    assert.match(await page.locator('#erreur-dates').innerText(), /antérieure au 09\/08\/2018/);
    assert.equal(await page.getAttribute('#dateDebut', 'aria-invalid'), 'true');
    await page.close();
  });

  it('reveals the key after the password, and rotates it after confirmation', async () => {
    const page = await pageAs('admin');
    await page.goto(`${server.base}/portail/canaux`);
    assert.equal(await page.locator('#cle').count(), 0, 'hidden until revealed');
    await page.fill('#mot-de-passe-cle', 'not-my-password');
    await page.click('button:has-text("Afficher la clé")');
    assert.match(await page.locator('.alert-error').innerText(), /Mot de passe incorrect/);
    await page.fill('#mot-de-passe-cle', 'Admin-Demo-2026!');
    await page.click('button:has-text("Afficher la clé")');
    const first = (await page.locator('#cle').innerText()).trim();
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.match(await page.locator('main').innerText(), /openssl enc -d -aes-256-cbc/);
    assert.match(await page.locator('main').innerText(), /npx publiwatt decrypt/);
    await screenshot(page, 'portal-channels');
    const revealedAt = page.url();
    await page.click('button:has-text("Renouveler la clé")');
    assert.equal(page.url(), revealedAt, 'the browser asks for the confirmation first');
    assert.equal(await page.locator('.alert-success').count(), 0);
    await page.check('input[name=confirmation]');
    await page.click('button:has-text("Renouveler la clé")');
    assert.match(await page.locator('.alert-success').innerText(), /nouvelle clé/);
    await page.fill('#mot-de-passe-cle', 'Admin-Demo-2026!');
    await page.click('button:has-text("Afficher la clé")');
    assert.match(await page.locator('main').innerText(), /Clé \(version 2\)/);
    assert.notEqual((await page.locator('#cle').innerText()).trim(), first);
    await page.close();
  });

  it('shows a CONSULTATION user no management action', async () => {
    const page = await pageAs('consultation');
    await page.goto(`${server.base}/portail/abonnements?siren=${DEMO_SIREN_SITES}&categorie=A`);
    assert.equal(await page.locator('main input[type=radio], main input[type=checkbox]').count(), 0);
    assert.deepEqual(
      await page.locator('main button').allInnerTexts(),
      ['Afficher'],
      'only the SIREN filter',
    );
    assert.equal(await page.locator('text=Enregistrer les modifications').count(), 0);
    await page.click('#ligne-INDEX-Q a:has-text("Gérer la publication")');
    assert.equal(await page.locator('input[name=canal], main button[type=submit]').count(), 0);
    const nav = await page.locator('.main-nav').innerText();
    assert.ok(!nav.includes('Vos canaux numériques'));
    const canaux = await page.goto(`${server.base}/portail/canaux`);
    assert.equal(canaux?.status(), 403);
    await screenshot(page, 'portal-consultation');
    await page.close();
  });

  it('lets a keyboard alone fill and save the subscription grid', async () => {
    const page = await pageAs('admin');
    await page.goto(`${server.base}/portail/abonnements?siren=${DEMO_SIREN_SITES}&categorie=B`);
    const active = () =>
      page.evaluate<string>('document.activeElement.name || document.activeElement.textContent');
    // From the top of the page: the skip link, then into the main content, then on to the line.
    await page.keyboard.press('Tab');
    assert.equal((await active()).trim(), 'Aller au contenu');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 40 && (await active()) !== 'format-CDC_BRUTE-H'; i++)
      await page.keyboard.press('Tab');
    assert.equal(await active(), 'format-CDC_BRUTE-H', 'each radio group is one tab stop');
    await page.keyboard.press('ArrowRight'); // radio group: moves to and selects JSON
    assert.equal(await page.locator('input[name=format-CDC_BRUTE-H][value=JSON]').isChecked(), true);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string>('document.activeElement.name'), 'souscrire-CDC_BRUTE-H');
    await page.keyboard.press('Space');
    // On to the save button, past the remaining lines and links.
    for (let i = 0; i < 20 && !(await active()).includes('Enregistrer les modifications'); i++) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(/enregistre=1/);
    assert.match(await page.locator('#ligne-CDC_BRUTE-H').innerText(), /En cours de prise en compte/);
    await page.close();
  });

  it('lists the meters with filters and draws a PRM curve from the measurements API', async () => {
    const page = await pageAs('consultation');
    await page.goto(`${server.base}/portail/compteurs`);
    assert.match(await page.locator('main').innerText(), /202 compteur\(s\)/);
    await page.selectOption('#segment', 'C1');
    await page.click('button:has-text("Filtrer")');
    assert.match(await page.locator('main').innerText(), /2 compteur\(s\)/);
    await page.click('main table a >> nth=0');
    assert.match(await page.locator('h1').innerText(), /^Compteur 3000100000000[17]$/);
    const lastDay = localDayOf(server.startedAt);
    await page.fill('#du', addDays(lastDay, -7));
    await page.fill('#au', lastDay);
    await page.click('button:has-text("Afficher")');
    await page.waitForSelector('#courbe canvas');
    const points = Number(await page.getAttribute('#courbe', 'data-points'));
    assert.ok(points >= 6 * 288, `${points} points`);
    assert.match(await page.locator('#courbe-etat').innerText(), /point\(s\) estimé\(s\) ou corrigé\(s\)/);
    assert.ok((await page.locator('main table tbody tr').count()) >= 6, 'the index table');
    await screenshot(page, 'portal-prm');
    const api = await page.request.get(`${server.base}/api/v1/prms/${DEMO_PRM_FOREIGN}/measurements`);
    assert.equal(api.status(), 404, 'a PRM of no SIREN of the entreprise does not exist');
    await page.close();
  });

  it('switches curve collection of category B meters one by one and in bulk', async () => {
    const page = await pageAs('services');
    await page.goto(`${server.base}/portail/collecte?siren=${DEMO_SIREN_SITES}`);
    const row = (prm: string) => page.locator(`#prm-${prm}`);
    assert.match(await row('30002000000001').innerText(), /Activée depuis le/);
    assert.match(await row('30002000000010').innerText(), /Désactivée/);
    await row('30002000000001').locator('button').click();
    assert.match(await page.locator('.alert-success').innerText(), /1 compteur\(s\) modifié\(s\)/);
    assert.match(await row('30002000000001').innerText(), /Désactivée depuis le/);
    await row('30002000000001').locator('input[name=prm]').check();
    await row('30002000000010').locator('input[name=prm]').check();
    await page.click('button:has-text("Activer la collecte des compteurs sélectionnés")');
    assert.match(await page.locator('.alert-success').innerText(), /2 compteur\(s\) modifié\(s\)/);
    assert.match(await row('30002000000010').innerText(), /Activée depuis le/);
    await screenshot(page, 'portal-collection');
    await page.close();
    const reader = await pageAs('consultation');
    await reader.goto(`${server.base}/portail/collecte`);
    assert.equal(await reader.locator('main form[method=post], main input[type=checkbox]').count(), 0);
    await reader.close();
  });

  it('manages habilitations on the fiche utilisateur, invites a user, and logs it all in the journal', async () => {
    const page = await pageAs('admin');
    await page.goto(`${server.base}/portail/utilisateurs`);
    await page.click('a:has-text("services")');
    await page.uncheck('input[name=habilitation][value=GESTION_SERVICES_DONNEES]');
    await page.check('input[name=habilitation][value=CONSULTATION]');
    await page.click('text=Enregistrer les modifications');
    assert.match(await page.locator('.alert-success').innerText(), /Modifications enregistrées/);
    assert.equal(await page.locator('input[value=GESTION_SERVICES_DONNEES]').isChecked(), false);
    await screenshot(page, 'portal-user');

    await page.goto(`${server.base}/portail/utilisateurs`);
    await page.click('text=Ajouter un utilisateur');
    await page.fill('#nom', 'Nina <Énergie>');
    await page.fill('#email', 'nina@client.example');
    await page.click('text=Créer et inviter');
    assert.match(
      await page.locator('.alert-success').innerText(),
      /invitation a été envoyée à nina@client.example/,
    );
    assert.match(await page.locator('table').innerText(), /Nina <Énergie>/);
    const mail = server.mailer.sent.find((m) => m.to === 'nina@client.example');
    const link = /\/invitation\?jeton=\S+/.exec(mail?.text ?? '')?.[0];
    assert.ok(link, mail?.text);
    const invited = await (await browser.newContext()).newPage();
    await invited.goto(`${server.base}${link}`);
    await invited.fill('#password', 'Nina-password-2026');
    await invited.click('text=Enregistrer');
    await invited.fill('#email', 'nina@client.example');
    await invited.fill('#password', 'Nina-password-2026');
    await invited.click('button[type=submit]');
    await invited.waitForURL(`${server.base}/portail`);
    await invited.close();

    await page.goto(`${server.base}/portail/journal`);
    await page.selectOption('#action', 'user.');
    await page.click('button:has-text("Filtrer")');
    const journal = await page.locator('main table').innerText();
    assert.match(journal, /user\.rights_changed/);
    assert.match(journal, /user\.created/);
    assert.ok(!journal.includes('subscription.'), 'filtered');
    await screenshot(page, 'portal-journal');
    await page.close();
  });

  it('answers every menu link with 200 or 403 for each demo user', async () => {
    for (const role of ['admin', 'consultation', 'services'] as const) {
      const page = await pageAs(role);
      const links: string[] = [];
      for (const link of await page.locator('.main-nav a').all())
        links.push((await link.getAttribute('href')) ?? '');
      const expected = ['/portail', ...NAVIGATION.flatMap((g) => g.items.map((i) => i.href))];
      assert.ok(links.every((l) => expected.includes(l)));
      for (const href of links) {
        const response = await page.goto(`${server.base}${href}`);
        const status = response?.status() ?? 0;
        const allowed = [200, 403];
        assert.ok(allowed.includes(status), `${role} ${href}: ${status}`);
        if (status === 200) await screenshot(page, `crawl-${role}${href.replaceAll('/', '-')}`);
      }
      await page.close();
    }
    const admin = await new UserRepository(server.database.handle.db).findByEmail('admin@demo.publiwatt.fr');
    assert.ok(admin);
  });
});
