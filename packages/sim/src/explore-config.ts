// Explorer configuration files: a world (machine, tasks, vcpus, as in scenarios), the alphabet
// of events the explorer may choose, and the bound. Validated like scenarios: one-line errors.

import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseDocument } from 'yaml';
import type { WorldConfig } from './config.js';
import type { Alphabet } from './explore.js';
import { NO_RACES, RACE_ALPHABET_SCHEMA } from './explore-alphabet.js';
import { InputError, worldConfig } from './scenario.js';
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

const validate = new Ajv({ strict: false }).compile<ExploreConfigFile>(EXPLORE_SCHEMA);

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

export function loadExploreConfig(file: string): ExploreConfigFile & { world: WorldConfig } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length)
    throw new InputError(`${file}: not valid YAML/JSON: ${doc.errors[0].message.split('\n')[0]}`);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    throw new InputError(`${file}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!validate(data)) {
    const e = validate.errors![0];
    const field = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
    throw new InputError(`${file}: ${field}: expected ${e.message ?? 'a valid value'}`);
  }
  const cfg = data;
  const world = worldConfig({ ...cfg, events: [], expect: { violations: [] }, claim: cfg.title });
  return { ...cfg, world };
}
