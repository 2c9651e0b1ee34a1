// Rewrites test/db/schema.sql from the migrations (npm run schema).
import { writeFileSync } from 'node:fs';
import { openDatabase } from '../src/db/db.ts';
import { dumpSchema } from '../src/db/schema-dump.ts';

const db = openDatabase(':memory:');
writeFileSync(new URL('../test/db/schema.sql', import.meta.url), dumpSchema(db));
db.close();
console.log('wrote test/db/schema.sql');
