import { AppError } from '../domain/app-error.js';
import { normalizeEmailAddress } from '../domain/email-address.js';
import {
  checkGrantablePerimeter,
  checkRightsChange,
  perimeterWithin,
  requireHabilitation,
  type RightsChange,
} from '../domain/habilitation-rules.js';
import type { Habilitation } from '../domain/habilitations.js';
import { ApiTokenRepository } from '../db/api-token.repository.js';
import { AuditRepository, type AuditActor } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { isConcurrencyConflict } from '../db/db-errors.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';
import { InvitationRepository } from '../db/invitation.repository.js';
import { SessionRepository } from '../db/session.repository.js';
import { UserRepository, type UserRecord } from '../db/user.repository.js';
import { passwordContextOf } from '../auth/password-context.js';
import { checkPasswordStrength } from '../auth/password-policy.js';
import { hashPassword } from '../auth/password.js';
import { hashSecret, issueSecret } from '../auth/secret-token.js';
import { sirensInScope } from '../auth/tenant-scope.js';
import type { Mailer } from '../notification/mailer.js';

/** How long an invitation link stays valid. */
export const INVITATION_DURATION_MS = 7 * 24 * 60 * 60 * 1000;

export interface NewUser {
  email: string;
  displayName: string;
  habilitations: Habilitation[];
  sirenPerimeter: string[] | null;
  /** An initial password; without one, an invitation link is e-mailed. */
  password?: string;
}

/**
 * What a creation did: a user `created`, or, for an address of another entreprise's user, an answer
 * shaped like a created user (`elsewhere`) while only that user is told.
 */
type Creation =
  { kind: 'created'; user: UserRecord } | { kind: 'elsewhere'; user: UserRecord; owner: UserRecord };

function actorOf(user: UserRecord): AuditActor {
  return { type: 'user', id: String(user.id), label: user.email };
}

function rightsOf(user: UserRecord) {
  return {
    habilitations: user.habilitations,
    sirenPerimeter: user.sirenPerimeter,
    active: user.active,
  };
}

/** Users of one entreprise, managed by its GESTION_UTILISATEURS holders. Every change is audited. */
export class UserManagementService {
  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
  ) {}

  /** The users the actor manages: those whose perimeter lies within the actor's. */
  async list(actor: UserRecord): Promise<UserRecord[]> {
    requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
    const users = await new UserRepository(this.db).listByEntreprise(actor.entrepriseId);
    return users.filter((user) => perimeterWithin(user.sirenPerimeter, actor.sirenPerimeter));
  }

  /**
   * A user of the actor's entreprise whose perimeter lies within the actor's, or NOT_FOUND (another
   * entreprise's ids, and users beyond the actor's perimeter, do not exist for it).
   */
  async get(actor: UserRecord, id: number): Promise<UserRecord> {
    requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
    const user = await new UserRepository(this.db).findInEntreprise(actor.entrepriseId, id);
    if (!user || !perimeterWithin(user.sirenPerimeter, actor.sirenPerimeter)) {
      throw new AppError('NOT_FOUND', `no user ${id} in this entreprise and perimeter`);
    }
    return user;
  }

  async create(actor: UserRecord, input: NewUser, now: Date, invitationBaseUrl: string): Promise<UserRecord> {
    requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
    await this.checkPerimeter(actor, input.sirenPerimeter);
    checkGrantablePerimeter(actor, input.sirenPerimeter);
    const email = normalizeEmailAddress(input.email);
    const entreprise = await new EntrepriseRepository(this.db).findById(actor.entrepriseId);
    const entrepriseName = entreprise?.name ?? '';
    if (input.password !== undefined) {
      checkPasswordStrength(input.password, { email, displayName: input.displayName, entrepriseName });
    }
    // Without a password the account cannot log in until the invitation is accepted.
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : '!';
    const invitation = input.password === undefined ? issueSecret() : undefined;
    const habilitations = [...new Set(input.habilitations)];
    const attempt = () =>
      this.db.transaction().execute(async (trx): Promise<Creation> => {
        const users = new UserRepository(trx);
        const existing = await users.findByEmail(email);
        if (existing?.entrepriseId === actor.entrepriseId) {
          throw new AppError('EMAIL_TAKEN', `${email} is taken`, { email });
        }
        if (existing) {
          // The address is another entreprise's user's: answered like an invitation, so that the answer
          // does not tell that the address has an account. The id is taken and never used; nothing of the
          // other account is read back or changed. Its entreprise's journal keeps the attempt.
          const id = await users.reserveId(actor.entrepriseId, now);
          await new AuditRepository(trx).append(
            {
              actor: { type: 'system', id: null, label: 'invitation' },
              entrepriseId: existing.entrepriseId,
              action: 'user.invited_elsewhere',
              target: `user:${existing.id}`,
              after: { email, byEntreprise: entrepriseName, byUser: actor.displayName },
            },
            now,
          );
          const answer: UserRecord = {
            id,
            entrepriseId: actor.entrepriseId,
            email,
            displayName: input.displayName,
            passwordHash: '!',
            habilitations,
            sirenPerimeter: input.sirenPerimeter === null ? null : [...input.sirenPerimeter],
            active: true,
            createdAt: now.toISOString(),
          };
          return { kind: 'elsewhere', user: answer, owner: existing };
        }
        const id = await users.insert(
          {
            entrepriseId: actor.entrepriseId,
            email,
            displayName: input.displayName,
            passwordHash,
            habilitations,
            sirenPerimeter: input.sirenPerimeter,
            active: true,
          },
          now,
        );
        if (invitation) {
          await new InvitationRepository(trx).insert(
            id,
            invitation.hash,
            now,
            new Date(now.getTime() + INVITATION_DURATION_MS),
          );
        }
        const created = (await users.find(id))!;
        await new AuditRepository(trx).append(
          {
            actor: actorOf(actor),
            entrepriseId: actor.entrepriseId,
            action: 'user.created',
            target: `user:${id}`,
            after: { email, ...rightsOf(created), invited: invitation !== undefined },
          },
          now,
        );
        return { kind: 'created', user: created };
      });
    // Two entreprises adding the same new address at once: the second insert breaks the unique index,
    // and a second attempt finds the first one's user.
    const creation = await attempt().catch((error: unknown) => {
      if (isConcurrencyConflict(error)) return attempt();
      throw error;
    });
    if (creation.kind === 'elsewhere') {
      await this.mailer.send({
        to: email,
        subject: 'Tentative d’invitation sur Publiwatt',
        text:
          `Bonjour ${creation.owner.displayName},\n\n` +
          `${actor.displayName}, de l'entreprise ${entrepriseName}, a tenté de créer un accès à Publiwatt ` +
          `avec votre adresse e-mail. Cette adresse est déjà celle de votre compte Publiwatt : rien n'a été ` +
          `créé, et votre compte n'a été ni modifié ni rattaché à cette entreprise.\n\n` +
          `Si vous connaissez cette personne, vous pouvez lui indiquer d'utiliser une autre adresse. Si cette ` +
          `demande vous semble suspecte, prévenez la personne qui gère les utilisateurs de votre entreprise.\n\n` +
          `Publiwatt`,
      });
    } else if (invitation) {
      const link = `${invitationBaseUrl.replace(/\/$/, '')}/invitation?jeton=${invitation.token}`;
      await this.mailer.send({
        to: email,
        subject: 'Votre accès à Publiwatt',
        text:
          `Bonjour ${input.displayName},\n\n${actor.displayName} vous a créé un accès à Publiwatt.\n` +
          `Pour choisir votre mot de passe, ouvrez ce lien (valable 7 jours, une seule fois) :\n${link}\n\n` +
          `Si vous n'attendiez pas ce message, ignorez-le.\n\nPubliwatt`,
      });
    }
    return creation.user;
  }

  /** Changes habilitations, SIREN perimeter or activity of a user, under the rights rules. */
  async update(actor: UserRecord, id: number, change: RightsChange, now: Date): Promise<UserRecord> {
    requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
    if (change.sirenPerimeter !== undefined) await this.checkPerimeter(actor, change.sirenPerimeter);
    return this.db.transaction().execute(async (trx) => {
      const users = new UserRepository(trx);
      const target = await users.findInEntreprise(actor.entrepriseId, id);
      if (!target) throw new AppError('NOT_FOUND', `no user ${id} in this entreprise`);
      // The acting user as stored now (not as when the request was authenticated).
      const current = (await users.findInEntreprise(actor.entrepriseId, actor.id)) ?? actor;
      checkRightsChange(current, target, change, await users.listByEntreprise(actor.entrepriseId));
      const next = {
        habilitations: [...new Set(change.habilitations ?? target.habilitations)],
        sirenPerimeter:
          change.sirenPerimeter === undefined
            ? target.sirenPerimeter
            : change.sirenPerimeter === null
              ? null
              : [...change.sirenPerimeter],
        active: change.active ?? target.active,
      };
      await users.updateRights(id, next);
      if (!next.active) {
        await new SessionRepository(trx).deleteForUser(id);
        await new ApiTokenRepository(trx).revokeAllForUser(id, now);
      }
      const action = target.active && !next.active ? 'user.deactivated' : 'user.rights_changed';
      await new AuditRepository(trx).append(
        {
          actor: actorOf(actor),
          entrepriseId: actor.entrepriseId,
          action,
          target: `user:${id}`,
          before: rightsOf(target),
          after: next,
        },
        now,
      );
      return (await users.find(id))!;
    });
  }

  /** Sets the password of an invited user; the link works once. */
  async acceptInvitation(token: string, password: string, now: Date): Promise<UserRecord> {
    const tokenHash = hashSecret(token);
    const invalid = () => new AppError('INVALID_INVITATION', 'invalid, expired or used invitation');
    // Read first, used only once the password is accepted: a refused password keeps the link working.
    const invitedId = await new InvitationRepository(this.db).findLive(tokenHash, now);
    const invited = invitedId === undefined ? undefined : await new UserRepository(this.db).find(invitedId);
    if (!invited?.active) throw invalid();
    checkPasswordStrength(password, await passwordContextOf(this.db, invited));
    const hash = await hashPassword(password);
    return this.db.transaction().execute(async (trx) => {
      const userId = await new InvitationRepository(trx).consume(tokenHash, now);
      const users = new UserRepository(trx);
      const user = userId === invited.id ? await users.find(userId) : undefined;
      if (!user?.active) throw invalid();
      await users.setPasswordHash(user.id, hash);
      await new AuditRepository(trx).append(
        {
          actor: actorOf(user),
          entrepriseId: user.entrepriseId,
          action: 'user.invitation_accepted',
          target: `user:${user.id}`,
        },
        now,
      );
      return user;
    });
  }

  private async checkPerimeter(actor: UserRecord, perimeter: readonly string[] | null): Promise<void> {
    if (perimeter === null) return;
    const own = await sirensInScope(this.db, actor);
    const unknown = perimeter.find((siren) => !own.includes(siren));
    // Another entreprise's SIREN, or one outside the actor's perimeter, is answered like a SIREN that
    // does not exist.
    if (unknown !== undefined)
      throw new AppError('NOT_FOUND', `SIREN ${unknown} is not one of the actor's perimeter`);
  }
}
