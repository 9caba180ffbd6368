// Scenario files: loading (YAML or JSON), validation against the published schema with one-line
// errors (file, field path, what was expected, what was found), and conversion to a world.

import type { MachineConfig } from '@kvmfp/machine';
import { DEFAULT_FEATURES, WorldConfig } from './config.js';
import type { Event } from './events.js';
import { parseData } from './input/parse.js';
import { readInputText } from './input/read.js';
import { checkEventShapes, checkScenarioReferences } from './input/scenario-check.js';
import { compileSchema, validateSchema } from './input/schema.js';
import { checkWorld, DEFAULT_VLS } from './input/world-check.js';
import { MUTANT_NAMES } from './revisions.js';
import { badStopLabel } from './points.js';
import { SCENARIO_SCHEMA } from './scenario-schema.js';

export interface Expectations {
  violations: { invariant: string; detail?: string }[];
  moves?: Partial<Record<'save' | 'load' | 'flush' | 'smstart' | 'smstop', number>>;
  functions?: string[];
  notFunctions?: string[];
  findings?: string[];
  final?: Record<string, number | string | boolean>;
  /** The world stops with a BUG whose report contains this text (an Oops the scenario shows). */
  dies?: string;
  /** Step numbers (from 1) of events expected not to be enabled. */
  disabled?: number[];
}

export interface Scenario {
  title: string;
  claim: string;
  revision?: 'v6.3' | 'v6.4';
  mutant?: string | null;
  machine: {
    cpus: number;
    features?: Partial<MachineConfig['features']>;
    sveVls?: number[];
    smeVls?: number[];
  };
  tasks: WorldConfig['tasks'];
  vcpus?: WorldConfig['vcpus'];
  events: Event[];
  /** What must hold; without it, `kvmfp run` only prints the trace (observe-only). */
  expect?: Expectations;
}

import { InputError } from './input/errors.js';
export { InputError };

const validate = compileSchema<Scenario>(SCENARIO_SCHEMA);

/**
 * A scenario from its text: strict YAML/JSON, the schema (each event against its own kind), then
 * the cross-references. Every problem is an InputError of one line naming the file and field.
 */
export function parseScenarioText(file: string, text: string): Scenario {
  const data = parseData(file, text);
  checkEventShapes(file, data);
  const s = validateSchema(file, validate, data);
  checkWorld(file, s, MUTANT_NAMES);
  checkScenarioReferences(file, s);
  const badLabel = badStopLabel(s.events);
  if (badLabel) throw new InputError(`${file}: ${badLabel}`);
  return s;
}

export function loadScenario(file: string): Scenario {
  return parseScenarioText(file, readInputText(file, 'scenario'));
}

export function worldConfig(s: Scenario): WorldConfig {
  return {
    machine: {
      ncpus: s.machine.cpus,
      features: { ...DEFAULT_FEATURES, ...s.machine.features },
      sveVls: ascending(s.machine.sveVls ?? DEFAULT_VLS),
      smeVls: ascending(s.machine.smeVls ?? DEFAULT_VLS),
    },
    tasks: s.tasks,
    vcpus: s.vcpus ?? [],
  };
}

/** The machine takes its vector lengths in ascending order; a file may list them in any. */
function ascending(vls: number[]): number[] {
  return [...vls].sort((a, b) => a - b);
}
