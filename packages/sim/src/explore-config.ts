// Explorer configuration files: a world (machine, tasks, vcpus, as in scenarios), the alphabet
// of events the explorer may choose, and the bound. Validated like scenarios: one-line errors.

import type { WorldConfig } from './config.js';
import type { Alphabet } from './explore.js';
import { NO_RACES, RACE_ALPHABET_SCHEMA } from './explore-alphabet.js';
import { fieldError } from './input/errors.js';
import { parseData } from './input/parse.js';
import { readInputText } from './input/read.js';
import { compileSchema, validateSchema } from './input/schema.js';
import { checkWorld } from './input/world-check.js';
import { MUTANT_NAMES } from './revisions.js';
import { worldConfig } from './scenario.js';
import { SCENARIO_SCHEMA } from './scenario-schema.js';

export interface ExploreConfigFile {
  title: string;
  revision?: 'v6.3' | 'v6.4';
  mutant?: string | null;
  machine: WorldConfigInput['machine'];
  tasks: WorldConfig['tasks'];
  vcpus?: WorldConfig['vcpus'];
  alphabet: Partial<Alphabet>;
  depth?: number;
}

type WorldConfigInput = Parameters<typeof worldConfig>[0];

const props = SCENARIO_SCHEMA.properties;
const ops = props.events.items.oneOf[0].properties.op;

export const EXPLORE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'machine', 'tasks', 'alphabet'],
  properties: {
    $schema: { type: 'string' },
    title: props.title,
    revision: props.revision,
    mutant: props.mutant,
    machine: props.machine,
    tasks: props.tasks,
    vcpus: props.vcpus,
    depth: { type: 'integer', minimum: 1, maximum: 64 },
    alphabet: {
      type: 'object',
      additionalProperties: false,
      properties: {
        user: { type: 'array', items: ops },
        checks: { type: 'array', items: ops },
        guest: { type: 'array', items: ops },
        guestChecks: { type: 'array', items: ops },
        syscall: { type: 'boolean' },
        neon: { type: 'boolean' },
        softirq: { type: 'boolean' },
        preempt: { type: 'boolean' },
        kvmRun: { type: 'boolean' },
        guestExit: { type: 'boolean' },
        signal: { type: 'boolean' },
        ptrace: { type: 'boolean' },
        prctl: { type: 'boolean' },
        fork: { type: 'boolean' },
        exec: { type: 'boolean' },
        ...RACE_ALPHABET_SCHEMA,
      },
    },
  },
} as const;

const validate = compileSchema<ExploreConfigFile>(EXPLORE_SCHEMA);

export function fullAlphabet(a: Partial<Alphabet>): Alphabet {
  return {
    user: a.user ?? [],
    checks: a.checks ?? [],
    guest: a.guest ?? [],
    guestChecks: a.guestChecks ?? [],
    syscall: a.syscall ?? false,
    neon: a.neon ?? false,
    softirq: a.softirq ?? false,
    preempt: a.preempt ?? false,
    kvmRun: a.kvmRun ?? false,
    guestExit: a.guestExit ?? false,
    signal: a.signal ?? false,
    ptrace: a.ptrace ?? false,
    prctl: a.prctl ?? false,
    fork: a.fork ?? false,
    exec: a.exec ?? false,
    ptraceSyscall: a.ptraceSyscall ?? NO_RACES.ptraceSyscall,
    deferredSoftirq: a.deferredSoftirq ?? NO_RACES.deferredSoftirq,
    signalInKernel: a.signalInKernel ?? NO_RACES.signalInKernel,
    kvmExit: a.kvmExit ?? NO_RACES.kvmExit,
    guestZcr: a.guestZcr ?? NO_RACES.guestZcr,
    undefInsns: a.undefInsns ?? NO_RACES.undefInsns,
    frameEdits: a.frameEdits ?? NO_RACES.frameEdits,
    ptracePayloads: a.ptracePayloads ?? NO_RACES.ptracePayloads,
    idle: a.idle ?? NO_RACES.idle,
  };
}

/** A configuration from its text: strict YAML/JSON, the schema, then the checks shared with scenarios. */
export function parseExploreConfigText(
  file: string,
  text: string,
): ExploreConfigFile & { world: WorldConfig } {
  const data = parseData(file, text);
  const cfg = validateSchema(file, validate, data);
  checkWorld(file, cfg, MUTANT_NAMES);
  checkSomeTaskExists(file, cfg);
  const world = worldConfig({ ...cfg, events: [], expect: { violations: [] }, claim: cfg.title });
  return { ...cfg, world };
}

export function loadExploreConfig(file: string): ExploreConfigFile & { world: WorldConfig } {
  return parseExploreConfigText(file, readInputText(file, 'config'));
}

/** With every task unborn (and so no one to fork them) nothing can ever happen: not an exploration. */
function checkSomeTaskExists(file: string, cfg: ExploreConfigFile): void {
  if (cfg.tasks.every((t) => t.unborn))
    throw fieldError(file, 'tasks', 'at least one task that is not unborn', 'only unborn tasks');
}
