import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { AuditRepository } from '../../src/db/audit.repository.js';
import { UserRepository, type UserRecord } from '../../src/db/user.repository.js';
import { describeEachEngine } from '../support/databases.js';
import {
  bearer,
  json,
  loginSession,
  seedUser,
  startTestServer,
  TEST_PASSWORD,
  type TestServer,
} from '../support/web.js';

type Body = { code: string; message: string };
type UserAnswer = Record<string, unknown> & { id: number; email: string };

/** Passwords of 12 characters or more that are still easy to guess. */
const WEAK = ['            ', 'aaaaaaaaaaaa', 'motdepasse123'];
const STRONG = 'cheval-agrafe-pile-correcte';

/** Addresses no account may have, and the reason each is refused. */
const BAD_ADDRESSES: Array<[string, RegExp]> = [
  ['', /« Adresse e-mail » est obligatoire/],
  ['not-an-email', /« Adresse e-mail » est invalide : « not-an-email »/],
  ['a@x, evil@y', /une seule adresse, or « a@x, evil@y » en contient plusieurs/],
  ['nouvelle@alpha.fr;evil@y.fr', /une seule adresse/],
  ['Nina <nina@alpha.fr>', /l'adresse seule, sans nom ni chevrons/],
  [`${'a'.repeat(60)}@${['b', 'c', 'd', 'e'].map((l) => l.repeat(60)).join('.')}.fr`, /trop long/],
];

function htmlText(body: string): string {
  return body
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

describeEachEngine('accounts: password policy, e-mail addresses, addresses of other entreprises', (ctx) => {
  let server: TestServer;
  let admin: { user: UserRecord; token: string };
  let owner: { user: UserRecord; token: string };
  let betaAdmin: { user: UserRecord; token: string };
  let session: { cookie: string; csrfToken: string };

  before(async () => {
    server = await startTestServer(ctx.handle);
    admin = await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'admin@alpha.fr',
      habilitations: ['GESTION_UTILISATEURS', 'CONSULTATION'],
      sirens: ['356000000'],
    });
    owner = await seedUser(ctx.handle, {
      entreprise: 'Beta SAS',
      email: 'owner@beta.fr',
      habilitations: ['CONSULTATION'],
      sirens: ['552100554'],
    });
    betaAdmin = await seedUser(ctx.handle, {
      entreprise: 'Beta SAS',
      email: 'gestion@beta.fr',
      habilitations: ['GESTION_UTILISATEURS'],
    });
    session = await loginSession(server.app, 'admin@alpha.fr');
  });
  after(() => server.app.close());

  const createUser = (payload: object, token = admin.token) =>
    server.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(token), payload });

  /** A form of the portal, posted in the admin's session. */
  const postForm = (
    url: string,
    fields: Record<string, string>,
    cookie = session.cookie,
    csrf = session.csrfToken,
  ) =>
    server.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
    });

  const listedEmails = async (token = admin.token) =>
    json<Array<{ email: string }>>(
      await server.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(token) }),
    ).map((u) => u.email);

  const invite = async (email: string): Promise<string> => {
    const created = await createUser({ email, displayName: 'Invitée', habilitations: ['CONSULTATION'] });
    assert.equal(created.statusCode, 201, created.body);
    const mail = server.mailer.sent.at(-1)!;
    assert.equal(mail.to, email);
    return /\/invitation\?jeton=([\w-]+)/.exec(mail.text)![1]!;
  };

  const assertWeak = (response: LightMyRequestResponse, what: string) => {
    assert.equal(response.statusCode, 400, `${what}: ${response.body}`);
    const body = json<Body>(response);
    assert.equal(body.code, 'WEAK_PASSWORD', what);
    assert.match(body.message, /phrase de plusieurs mots/, what);
    assert.doesNotMatch(body.message, /WEAK_PASSWORD|score/, what);
  };

  it('refuses a guessable initial password, or one made of the new user’s address (API)', async () => {
    for (const password of [...WEAK, 'direct.user@alpha.fr']) {
      const response = await createUser({
        email: 'direct.user@alpha.fr',
        displayName: 'Direct',
        habilitations: ['CONSULTATION'],
        password,
      });
      assertWeak(response, JSON.stringify(password));
    }
    assert.ok(!(await listedEmails()).includes('direct.user@alpha.fr'), 'nothing created');
    const created = await createUser({
      email: 'direct.user@alpha.fr',
      displayName: 'Direct',
      habilitations: ['CONSULTATION'],
      password: STRONG,
    });
    assert.equal(created.statusCode, 201, created.body);
    await loginSession(server.app, 'direct.user@alpha.fr', STRONG);
  });

  it('refuses a weak password when an invitation is accepted (API and page), and the link still works', async () => {
    const token = await invite('nina.roux@alpha.fr');
    const accept = (password: string) =>
      server.app.inject({ method: 'POST', url: '/api/v1/auth/invitation', payload: { token, password } });
    for (const password of [...WEAK, 'nina.roux@alpha.fr', 'Nina.Roux@Alpha.fr']) {
      assertWeak(await accept(password), JSON.stringify(password));
    }
    const page = await server.app.inject({ method: 'GET', url: `/invitation?jeton=${token}` });
    assert.match(page.body, /phrase de plusieurs mots/, 'the page says how to choose');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    for (const password of ['aaaaaaaaaaaa', 'nina.roux@alpha.fr']) {
      const refused = await postForm('/invitation', { jeton: token, password }, cookie, csrf);
      assert.equal(refused.statusCode, 400, password);
      const text = htmlText(refused.body);
      assert.match(text, /Ce mot de passe (est trop facile à deviner|repose sur)/, password);
      assert.doesNotMatch(text, /WEAK_PASSWORD/);
    }
    const accepted = await postForm('/invitation', { jeton: token, password: STRONG }, cookie, csrf);
    assert.equal(accepted.statusCode, 303, 'the refusals did not use the link');
    await loginSession(server.app, 'nina.roux@alpha.fr', STRONG);
  });

  it('refuses a guessable new password when a user changes theirs (API and page)', async () => {
    await seedUser(ctx.handle, {
      entreprise: 'Alpha SA',
      email: 'paul@alpha.fr',
      habilitations: ['CONSULTATION'],
    });
    const paul = await loginSession(server.app, 'paul@alpha.fr');
    for (const password of WEAK) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: { cookie: paul.cookie, 'x-csrf-token': paul.csrfToken },
        payload: { currentPassword: TEST_PASSWORD, newPassword: password },
      });
      assertWeak(response, JSON.stringify(password));
    }
    const page = await postForm(
      '/portail/compte',
      { current: TEST_PASSWORD, next: 'motdepasse123' },
      paul.cookie,
      paul.csrfToken,
    );
    assert.equal(page.statusCode, 400);
    assert.match(htmlText(page.body), /Ce mot de passe est trop facile à deviner/);
    await loginSession(server.app, 'paul@alpha.fr', TEST_PASSWORD);
  });

  it('refuses the same addresses in the API and the portal form, with a French message naming the field', async () => {
    const mails = server.mailer.sent.length;
    const before = await listedEmails();
    for (const [email, message] of BAD_ADDRESSES) {
      const api = await createUser({ email, displayName: 'X', habilitations: ['CONSULTATION'] });
      assert.equal(api.statusCode, 400, `${email}: ${api.body}`);
      assert.equal(json<Body>(api).code, 'INVALID_EMAIL', email);
      assert.match(json<Body>(api).message, /Adresse e-mail/, email);
      assert.match(json<Body>(api).message, message, email);
      const form = await postForm('/portail/utilisateurs', {
        nom: 'X',
        email,
        habilitation: 'CONSULTATION',
        perimetre: 'tous',
      });
      assert.equal(form.statusCode, 400, `${email}: portal`);
      const text = htmlText(form.body);
      assert.match(text, message, `${email}: portal`);
      assert.match(form.body, /aria-invalid="true"/, 'the field is marked');
    }
    assert.equal(server.mailer.sent.length, mails, 'no invitation sent');
    assert.deepEqual(await listedEmails(), before, 'nobody created');
  });

  it('stores an address trimmed and lower-cased, from the API and the portal form', async () => {
    const api = await createUser({
      email: '  Claire.Dupont@Alpha.FR ',
      displayName: 'Claire',
      habilitations: ['CONSULTATION'],
    });
    assert.equal(api.statusCode, 201, api.body);
    assert.equal(json<UserAnswer>(api).email, 'claire.dupont@alpha.fr');
    assert.equal(server.mailer.sent.at(-1)!.to, 'claire.dupont@alpha.fr');
    const form = await postForm('/portail/utilisateurs', {
      nom: 'Marc',
      email: ' Marc.Petit@Alpha.fr ',
      habilitation: 'CONSULTATION',
      perimetre: 'tous',
    });
    assert.equal(form.statusCode, 303, form.body);
    assert.equal(server.mailer.sent.at(-1)!.to, 'marc.petit@alpha.fr');
    const listed = await listedEmails();
    assert.ok(listed.includes('claire.dupont@alpha.fr') && listed.includes('marc.petit@alpha.fr'));
    const unnamed = await postForm('/portail/utilisateurs', {
      nom: ' ',
      email: ' Lea.Blanc@Alpha.fr ',
      habilitation: 'CONSULTATION',
      perimetre: 'tous',
    });
    assert.equal(unnamed.statusCode, 303, unnamed.body);
    const users = json<Array<{ email: string; displayName: string }>>(
      await server.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(admin.token) }),
    );
    assert.equal(users.find((u) => u.email === 'lea.blanc@alpha.fr')?.displayName, 'lea.blanc@alpha.fr');
  });

  it('answers an address of another entreprise exactly like an invitation, and tells its owner only', async () => {
    const users = new UserRepository(ctx.handle.db);
    const ownerBefore = await users.findByEmail('owner@beta.fr');
    const mails = server.mailer.sent.length;

    const fresh = await createUser({
      email: 'fresh@alpha.fr',
      displayName: 'Léa',
      habilitations: ['CONSULTATION'],
    });
    const taken = await createUser({
      email: ' Owner@Beta.fr ',
      displayName: 'Léa',
      habilitations: ['CONSULTATION'],
      sirenPerimeter: ['356000000'],
    });
    assert.equal(fresh.statusCode, 201, fresh.body);
    assert.equal(taken.statusCode, 201, taken.body);
    const a = json<UserAnswer>(fresh);
    const b = json<UserAnswer>(taken);
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort(), 'same body shape');
    for (const key of Object.keys(a)) assert.equal(typeof b[key], typeof a[key], key);
    assert.equal(b.email, 'owner@beta.fr');
    assert.equal(b.active, true);
    assert.deepEqual(b.habilitations, ['CONSULTATION']);
    assert.deepEqual(b.sirenPerimeter, ['356000000']);
    assert.equal(b.createdAt, a.createdAt);
    assert.ok(b.id > a.id, 'an id of the same sequence');

    assert.deepEqual(await users.findByEmail('owner@beta.fr'), ownerBefore, 'the other account is unchanged');
    const invitations = await ctx.handle.db
      .selectFrom('user_invitation')
      .select('id')
      .where('user_id', '=', owner.user.id)
      .execute();
    assert.equal(invitations.length, 0, 'no link that would reach the other account');
    assert.equal(
      (await server.app.inject({ method: 'GET', url: `/api/v1/users/${b.id}`, headers: bearer(admin.token) }))
        .statusCode,
      404,
    );

    const sent = server.mailer.sent.slice(mails);
    assert.deepEqual(
      sent.map((m) => m.to),
      ['fresh@alpha.fr', 'owner@beta.fr'],
    );
    const notice = sent[1]!;
    assert.match(notice.subject, /Tentative d’invitation/);
    assert.match(notice.text, /^Bonjour owner,/);
    assert.match(notice.text, /admin, de l'entreprise Alpha SA, a tenté de créer un accès/);
    assert.match(notice.text, /votre compte n'a été ni modifié ni rattaché/);
    assert.doesNotMatch(notice.text, /jeton|https?:/, 'no link in the notice');

    const betaJournal = await new AuditRepository(ctx.handle.db).listForEntreprise(owner.user.entrepriseId, {
      action: 'user.invited_elsewhere',
    });
    assert.equal(betaJournal.length, 1, "the attempt is in the owner's entreprise journal");
    assert.equal(betaJournal[0]!.target, `user:${owner.user.id}`);
    const alphaJournal = await new AuditRepository(ctx.handle.db).listForEntreprise(admin.user.entrepriseId);
    assert.ok(!JSON.stringify(alphaJournal).includes('owner@beta.fr'), "nothing in the caller's journal");
    assert.ok(!(await listedEmails()).includes('owner@beta.fr'));
    assert.deepEqual(await listedEmails(betaAdmin.token), ['gestion@beta.fr', 'owner@beta.fr']);

    const next = await createUser({ email: 'next@alpha.fr', displayName: 'Next', habilitations: [] });
    assert.ok(json<UserAnswer>(next).id > b.id, 'the id answered is never given to anybody');
  });

  it('keeps the other account out of reach when a password is given too', async () => {
    const users = new UserRepository(ctx.handle.db);
    const ownerBefore = await users.findByEmail('owner@beta.fr');
    const withPassword = await createUser({
      email: 'owner@beta.fr',
      displayName: 'Intrus',
      habilitations: ['GESTION_UTILISATEURS'],
      password: STRONG,
    });
    assert.equal(withPassword.statusCode, 201, withPassword.body);
    assert.deepEqual(await users.findByEmail('owner@beta.fr'), ownerBefore);
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'owner@beta.fr', password: STRONG },
    });
    assert.equal(login.statusCode, 401, 'the password given does not open the other account');
    await loginSession(server.app, 'owner@beta.fr', TEST_PASSWORD);
    assert.equal(server.mailer.sent.at(-1)!.to, 'owner@beta.fr', 'its owner is told');
  });

  it('answers the portal form for an address of another entreprise like a fresh invitation', async () => {
    const fields = { nom: 'Zoé', habilitation: 'CONSULTATION', perimetre: 'tous' };
    const fresh = await postForm('/portail/utilisateurs', { ...fields, email: 'zoe@alpha.fr' });
    const taken = await postForm('/portail/utilisateurs', { ...fields, email: 'owner@beta.fr' });
    assert.equal(fresh.statusCode, 303);
    assert.equal(taken.statusCode, 303);
    assert.equal(fresh.headers.location, '/portail/utilisateurs?cree=zoe%40alpha.fr');
    assert.equal(taken.headers.location, '/portail/utilisateurs?cree=owner%40beta.fr');
    assert.equal(server.mailer.sent.at(-1)!.to, 'owner@beta.fr');
    assert.match(server.mailer.sent.at(-1)!.subject, /Tentative d’invitation/);
  });

  it("keeps answering 409 EMAIL_TAKEN for an address of the caller's own entreprise", async () => {
    const mails = server.mailer.sent.length;
    const response = await createUser({ email: 'Admin@Alpha.fr', displayName: 'A', habilitations: [] });
    assert.equal(response.statusCode, 409);
    assert.equal(json<Body>(response).code, 'EMAIL_TAKEN');
    assert.match(
      json<Body>(response).message,
      /admin@alpha\.fr est déjà celle d'un utilisateur de votre entreprise/,
    );
    assert.equal(server.mailer.sent.length, mails);
  });

  it('takes about the same time for a fresh address and for one of another entreprise', async () => {
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await createUser({ email, displayName: 'T', habilitations: ['CONSULTATION'] });
      assert.equal(response.statusCode, 201, response.body);
      return performance.now() - started;
    };
    const fresh: number[] = [];
    const taken: number[] = [];
    for (let i = 0; i < 7; i++) {
      fresh.push(await timed(`temps${i}@alpha.fr`));
      taken.push(await timed('owner@beta.fr'));
    }
    const ratio = median(taken) / median(fresh);
    assert.ok(ratio > 0.2 && ratio < 5, `fresh ${median(fresh)} ms, taken ${median(taken)} ms`);
  });

  it('gives both callers the invitation answer when two entreprises add the same new address at once', async () => {
    const gamma = await seedUser(ctx.handle, {
      entreprise: 'Gamma SARL',
      email: 'admin@gamma.fr',
      habilitations: ['GESTION_UTILISATEURS'],
    });
    for (let round = 0; round < 3; round++) {
      const email = `simultane${round}@delta.fr`;
      const mails = server.mailer.sent.length;
      const answers = await Promise.all([
        createUser({ email, displayName: 'S', habilitations: ['CONSULTATION'] }),
        createUser({ email, displayName: 'S', habilitations: ['CONSULTATION'] }, gamma.token),
      ]);
      assert.deepEqual(
        answers.map((r) => r.statusCode),
        [201, 201],
        answers.map((r) => r.body).join('\n'),
      );
      const rows = await ctx.handle.db
        .selectFrom('app_user')
        .select('id')
        .where('email', '=', email)
        .execute();
      assert.equal(rows.length, 1);
      const sent = server.mailer.sent.slice(mails).filter((m) => m.to === email);
      assert.equal(sent.length, 2, 'an invitation and a notice');
      assert.equal(sent.filter((m) => /Tentative d’invitation/.test(m.subject)).length, 1);
    }
  });
});
