import { randomUUID } from 'node:crypto';
import type { Habilitation } from '../domain/habilitations.js';
import type { Db } from './database.js';

export interface UserRecord {
  id: number;
  entrepriseId: number;
  email: string;
  displayName: string;
  passwordHash: string;
  habilitations: Habilitation[];
  /** SIRENs the user may see; null means every SIREN of the entreprise. */
  sirenPerimeter: string[] | null;
  active: boolean;
  createdAt: string;
}

type UserRow = {
  id: number;
  entreprise_id: number;
  email: string;
  display_name: string;
  password_hash: string;
  habilitations: string;
  siren_perimeter: string | null;
  active: number;
  created_at: string;
};

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    entrepriseId: row.entreprise_id,
    email: row.email,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    habilitations: JSON.parse(row.habilitations) as Habilitation[],
    sirenPerimeter: row.siren_perimeter === null ? null : (JSON.parse(row.siren_perimeter) as string[]),
    active: row.active === 1,
    createdAt: row.created_at,
  };
}

/** Portal users of the entreprises. E-mail addresses are stored lower-case and unique. */
export class UserRepository {
  constructor(private readonly db: Db) {}

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('app_user')
      .selectAll()
      .where('email', '=', email.trim().toLowerCase())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Scoped lookup: a user of another entreprise is simply not found. */
  async findInEntreprise(entrepriseId: number, id: number): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('app_user')
      .selectAll()
      .where('id', '=', id)
      .where('entreprise_id', '=', entrepriseId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async listByEntreprise(entrepriseId: number): Promise<UserRecord[]> {
    const rows = await this.db
      .selectFrom('app_user')
      .selectAll()
      .where('entreprise_id', '=', entrepriseId)
      .orderBy('email')
      .execute();
    return rows.map(toRecord);
  }

  async insert(user: Omit<UserRecord, 'id' | 'createdAt'>, now: Date): Promise<number> {
    const row = await this.db
      .insertInto('app_user')
      .values({
        entreprise_id: user.entrepriseId,
        email: user.email.trim().toLowerCase(),
        display_name: user.displayName,
        password_hash: user.passwordHash,
        habilitations: JSON.stringify(user.habilitations),
        siren_perimeter: user.sirenPerimeter === null ? null : JSON.stringify(user.sirenPerimeter),
        active: user.active ? 1 : 0,
        created_at: now.toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * Takes the next user id without keeping a user: a placeholder row inserted and deleted in the
   * caller's transaction. Ids are never reused (AUTOINCREMENT on SQLite, an identity on PostgreSQL), so
   * the id returned will never name anybody.
   */
  async reserveId(entrepriseId: number, now: Date): Promise<number> {
    const id = await this.insert(
      {
        entrepriseId,
        email: `reserved-${randomUUID()}@invalid`,
        displayName: '',
        passwordHash: '!',
        habilitations: [],
        sirenPerimeter: [],
        active: false,
      },
      now,
    );
    await this.db.deleteFrom('app_user').where('id', '=', id).execute();
    return id;
  }

  async find(id: number): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async setPasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.db.updateTable('app_user').set({ password_hash: passwordHash }).where('id', '=', id).execute();
  }

  /** Changes rights and activity; the caller checks the rules (`checkRightsChange`). */
  async updateRights(
    id: number,
    change: { habilitations: Habilitation[]; sirenPerimeter: string[] | null; active: boolean },
  ): Promise<void> {
    await this.db
      .updateTable('app_user')
      .set({
        habilitations: JSON.stringify(change.habilitations),
        siren_perimeter: change.sirenPerimeter === null ? null : JSON.stringify(change.sirenPerimeter),
        active: change.active ? 1 : 0,
      })
      .where('id', '=', id)
      .execute();
  }
}
