// The reader site's function map (`functions.json`, written by `kvmfp read`): kernel function
// name -> page, read through the same loader as every other input so a corrupt one is one line.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fieldError } from './errors.js';
import { COMMAND_LINE } from './flags.js';
import { parseData } from './parse.js';
import { readInputText } from './read.js';
import { compileSchema, validateSchema } from './schema.js';

const FUNCTION_PAGES_SCHEMA = {
  type: 'object',
  propertyNames: { minLength: 1 },
  additionalProperties: { type: 'string', minLength: 1 },
};
const validate = compileSchema<Record<string, string>>(FUNCTION_PAGES_SCHEMA);

/** The map of a reader directory, or undefined when no site has been built there. */
export function loadFunctionPages(readerDir: string): Record<string, string> | undefined {
  let st;
  try {
    st = statSync(readerDir);
  } catch {
    return undefined;
  }
  if (!st.isDirectory())
    throw fieldError(
      COMMAND_LINE,
      '--reader',
      'a directory (kvmfp read --out)',
      `'${readerDir}' (not a directory)`,
    );
  const file = join(readerDir, 'functions.json');
  if (!existsSync(file)) return undefined;
  return validateSchema(file, validate, parseData(file, readInputText(file, 'readerData')));
}
