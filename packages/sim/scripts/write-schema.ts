// Publishes the scenario schema for editors: fixtures/schema/scenario.schema.json.
import { writeFileSync } from 'node:fs';
import { SCENARIO_SCHEMA } from '../src/scenario-schema.js';

const out = new URL('../../../fixtures/schema/scenario.schema.json', import.meta.url);
writeFileSync(out, JSON.stringify(SCENARIO_SCHEMA, null, 2) + '\n');
console.log(`wrote ${out.pathname}`);
