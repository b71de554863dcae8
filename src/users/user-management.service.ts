import { AppError } from '../domain/app-error.js';
import {
  checkGrantablePerimeter,
  checkRightsChange,
  requireHabilitation,
  type RightsChange,
} from '../domain/habilitation-rules.js';
import type { Habilitation } from '../domain/habilitations.js';
import { ApiTokenRepository } from '../db/api-token.repository.js';
import { AuditRepository, type AuditActor } from '../db/audit.repository.js';
import type { Db } from '../db/database.js';
import { EntrepriseRepository } from '../db/entreprise.repository.js';
import { InvitationRepository } from '../db/invitation.repository.js';
import { SessionRepository } from '../db/session.repository.js';
import { UserRepository, type UserRecord } from '../db/user.repository.js';
import { checkPasswordStrength } from '../auth/password-policy.js';
import { hashPassword } from '../auth/password.js';
import { hashSecret, issueSecret } from '../auth/secret-token.js';
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

  async list(actor: UserRecord): Promise<UserRecord[]> {
    requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
    return new UserRepository(this.db).listByEntreprise(actor.entrepriseId);
  }

  /** A user of the actor's entreprise, or NOT_FOUND (another entreprise's ids do not exist). */
  async get(actor: UserRecord, id: number): Promise<UserRecord> {
    requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
    const user = await new UserRepository(this.db).findInEntreprise(actor.entrepriseId, id);
    if (!user) throw new AppError('NOT_FOUND', `no user ${id} in this entreprise`);
    return user;
  }

  async create(actor: UserRecord, input: NewUser, now: Date, invitationBaseUrl: string): Promise<UserRecord> {
    requireHabilitation(actor.habilitations, 'GESTION_UTILISATEURS');
    await this.checkPerimeter(actor, input.sirenPerimeter);
    checkGrantablePerimeter(actor, input.sirenPerimeter);
    if (input.password !== undefined) checkPasswordStrength(input.password);
    // Without a password the account cannot log in until the invitation is accepted.
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : '!';
    const invitation = input.password === undefined ? issueSecret() : undefined;
    const email = input.email.trim().toLowerCase();
    const user = await this.db.transaction().execute(async (trx) => {
      const users = new UserRepository(trx);
      if (await users.findByEmail(email)) throw new AppError('EMAIL_TAKEN', `${email} is taken`, { email });
      const id = await users.insert(
        {
          entrepriseId: actor.entrepriseId,
          email,
          displayName: input.displayName,
          passwordHash,
          habilitations: [...new Set(input.habilitations)],
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
      return created;
    });
    if (invitation) {
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
    return user;
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
    checkPasswordStrength(password);
    const hash = await hashPassword(password);
    return this.db.transaction().execute(async (trx) => {
      const userId = await new InvitationRepository(trx).consume(hashSecret(token), now);
      const users = new UserRepository(trx);
      const user = userId === undefined ? undefined : await users.find(userId);
      if (!user?.active) throw new AppError('INVALID_INVITATION', 'invalid, expired or used invitation');
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
    const own = await new EntrepriseRepository(this.db).sirensOf(actor.entrepriseId);
    const unknown = perimeter.find((siren) => !own.includes(siren));
    // Another entreprise's SIREN is answered like a SIREN that does not exist.
    if (unknown !== undefined)
      throw new AppError('NOT_FOUND', `SIREN ${unknown} is not one of the entreprise`);
  }
}
