import type { ColumnDataType, CreateTableBuilder } from 'kysely';
import type { Engine } from '../database.js';

/** An auto-increment integer primary key on either engine. */
export function withId<T extends string>(table: CreateTableBuilder<T, never>, engine: Engine) {
  return engine === 'postgres'
    ? table.addColumn('id', 'integer', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
}

export function doubleType(engine: Engine): ColumnDataType {
  return engine === 'postgres' ? 'double precision' : 'real';
}

export function blobType(engine: Engine): ColumnDataType {
  return engine === 'postgres' ? 'bytea' : 'blob';
}
