// Regenerates the README's configuration and error tables (npm run docs).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderReadme } from '../src/http/readme-tables.ts';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, renderReadme(readFileSync(file, 'utf8')));
console.log(`updated ${file.pathname}`);
