import type { Db } from './database.js';

export interface OperatorRecord {
  id: number;
  email: string;
  passwordHash: string | null;
  active: boolean;
  createdAt: string;
}

/** Operator accounts of the distributor: not customer users, they reach the operator routes. */
export class OperatorRepository {
  constructor(private readonly db: Db) {}

  async findByEmail(email: string): Promise<OperatorRecord | undefined> {
    const row = await this.db
      .selectFrom('operator')
      .selectAll()
      .where('email', '=', email.trim().toLowerCase())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async find(id: number): Promise<OperatorRecord | undefined> {
    const row = await this.db.selectFrom('operator').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async insert(email: string, passwordHash: string | null, now: Date): Promise<number> {
    const row = await this.db
      .insertInto('operator')
      .values({
        email: email.trim().toLowerCase(),
        password_hash: passwordHash,
        active: 1,
        created_at: now.toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async setPasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.db.updateTable('operator').set({ password_hash: passwordHash }).where('id', '=', id).execute();
  }
}

function toRecord(row: {
  id: number;
  email: string;
  password_hash: string | null;
  active: number;
  created_at: string;
}): OperatorRecord {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    active: row.active === 1,
    createdAt: row.created_at,
  };
}
