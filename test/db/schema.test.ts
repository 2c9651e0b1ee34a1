import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { listMigrations, migrate, openDatabase } from '../../src/db/db.ts';
import { dumpSchema } from '../../src/db/schema-dump.ts';

test('the migrations produce the committed schema snapshot (npm run schema to update it)', () => {
  const db = openDatabase(':memory:');
  try {
    assert.equal(dumpSchema(db), readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'),
      'test/db/schema.sql is stale: run `npm run schema` and review the diff');
  } finally {
    db.close();
  }
});

test('migrations are numbered uniquely, applied once, and recorded', () => {
  const ids = listMigrations().map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length);
  const db = openDatabase(':memory:');
  try {
    assert.deepEqual(migrate(db), [], 'a second run applies nothing');
    const recorded = (db.prepare('SELECT id FROM migrations ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    assert.deepEqual(recorded, ids);
  } finally {
    db.close();
  }
});
