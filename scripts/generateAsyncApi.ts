/** Writes docs/asyncapi.yaml from the contract: `npm run docs:asyncapi`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { buildAsyncApi } from '../shared/contract/asyncapi.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const out = new URL('../docs/asyncapi.yaml', import.meta.url);
writeFileSync(
  out,
  stringify(buildAsyncApi(pkg.version), { lineWidth: 0, aliasDuplicateObjects: false }),
);
console.log(`wrote ${out.pathname}`);
