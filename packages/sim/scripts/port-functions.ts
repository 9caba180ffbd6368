// Regenerates packages/sim/src/input/port-functions.ts from the port files and manifests.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPortFunctions, scanPortFunctions } from '../src/input/port-functions-scan.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const out = new URL('../src/input/port-functions.ts', import.meta.url);
const names = scanPortFunctions(root);
writeFileSync(out, renderPortFunctions(names));
console.log(`wrote ${names.length} names to ${out.pathname}`);
