import assert from 'node:assert/strict';
import type { Db } from '../../src/db/database.js';
import { AppError } from '../../src/domain/app-error.js';

/**
 * Every stored measurement version's key and stamps, in a fixed order: equal before and after a
 * rejected file when it changed nothing.
 */
export async function storedVersions(db: Db): Promise<string> {
  const curves = await db
    .selectFrom('curve_day')
    .select(['prm', 'day', 'quantity', 'stage', 'stored_at', 'superseded_at'])
    .orderBy('prm')
    .orderBy('day')
    .orderBy('quantity')
    .orderBy('stage')
    .orderBy('stored_at')
    .execute();
  const index = await db
    .selectFrom('index_reading')
    .select(['prm', 'day', 'register', 'stored_at', 'superseded_at'])
    .orderBy('prm')
    .orderBy('day')
    .orderBy('register')
    .orderBy('stored_at')
    .execute();
  return JSON.stringify({ curves, index });
}

/** The AppError a promise is rejected with (fails the test when it is fulfilled). */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  assert.fail('the import was accepted');
}
