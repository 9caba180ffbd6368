// Scenario files: loading (YAML or JSON), validation against the published schema with one-line
// errors (file, field path, what was expected, what was found), and conversion to a world.

import { readFileSync } from 'node:fs';
import { Ajv, ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import type { MachineConfig } from '@kvmfp/machine';
import { DEFAULT_FEATURES, WorldConfig } from './config.js';
import type { Event } from './events.js';
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
  expect: Expectations;
}

/** A bad input: the CLI prints the message (one line) and exits 2. */
export class InputError extends Error {}

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile<Scenario>(SCENARIO_SCHEMA);

function describeFound(data: unknown, path: string): string {
  let v: unknown = data;
  for (const part of path.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[part];
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The most specific error: for a oneOf over events, the branch whose `do` matched. */
function pickError(errors: ErrorObject[]): ErrorObject {
  return errors.reduce((best, e) => (e.instancePath.length > best.instancePath.length ? e : best), errors[0]);
}

function formatError(file: string, data: unknown, e: ErrorObject): string {
  const field = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
  const p = e.params as Record<string, unknown>;
  let expected = e.message ?? 'valid';
  if (e.keyword === 'additionalProperties') expected = `no property '${String(p.additionalProperty)}'`;
  if (e.keyword === 'required') expected = `property '${String(p.missingProperty)}'`;
  if (e.keyword === 'enum') expected = `one of ${JSON.stringify(p.allowedValues)}`;
  if (e.keyword === 'const') expected = `${JSON.stringify(p.allowedValue)}`;
  return `${file}: ${field}: expected ${expected}, found ${describeFound(data, e.instancePath)}`;
}

export function parseScenarioText(file: string, text: string): Scenario {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const line = err.linePos?.[0]?.line;
    throw new InputError(`${file}:${line ?? '?'}: not valid YAML/JSON: ${err.message.split('\n')[0]}`);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    throw new InputError(`${file}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!validate(data)) {
    const errs = validate.errors ?? [];
    // oneOf reports every branch; keep the errors of the branch that named the same `do`.
    const specific = errs.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'const');
    throw new InputError(formatError(file, data, pickError(specific.length ? specific : errs)));
  }
  checkReferences(file, data);
  return data;
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseScenarioText(file, text);
}

/** Cross-field checks the schema cannot express: names that refer to tasks and vcpus. */
function checkReferences(file: string, s: Scenario): void {
  const tasks = new Set(s.tasks.map((t) => t.name));
  const vcpus = new Set((s.vcpus ?? []).map((v) => v.name));
  const fail = (field: string, expected: string, found: unknown) => {
    throw new InputError(`${file}: ${field}: expected ${expected}, found ${JSON.stringify(found)}`);
  };
  s.tasks.forEach((t, i) => {
    if (t.cpu !== undefined && t.cpu >= s.machine.cpus)
      fail(`tasks.${i}.cpu`, `a CPU below ${s.machine.cpus}`, t.cpu);
    if (s.tasks.findIndex((x) => x.name === t.name) !== i) fail(`tasks.${i}.name`, 'a unique name', t.name);
  });
  (s.vcpus ?? []).forEach((v, i) => {
    if (!tasks.has(v.vmm)) fail(`vcpus.${i}.vmm`, `one of the tasks ${JSON.stringify([...tasks])}`, v.vmm);
  });
  s.events.forEach((e, i) => {
    if ('task' in e && !tasks.has(e.task))
      fail(`events.${i}.task`, `one of ${JSON.stringify([...tasks])}`, e.task);
    if ('vcpu' in e && !vcpus.has(e.vcpu))
      fail(`events.${i}.vcpu`, `one of ${JSON.stringify([...vcpus])}`, e.vcpu);
    if ('next' in e && e.next !== undefined && !tasks.has(e.next))
      fail(`events.${i}.next`, `one of ${JSON.stringify([...tasks])}`, e.next);
    if ('cpu' in e && e.cpu >= s.machine.cpus)
      fail(`events.${i}.cpu`, `a CPU below ${s.machine.cpus}`, e.cpu);
  });
}

export function worldConfig(s: Scenario): WorldConfig {
  return {
    machine: {
      ncpus: s.machine.cpus,
      features: { ...DEFAULT_FEATURES, ...s.machine.features },
      sveVls: s.machine.sveVls ?? [16, 32, 64],
      smeVls: s.machine.smeVls ?? [16, 32, 64],
    },
    tasks: s.tasks,
    vcpus: s.vcpus ?? [],
  };
}
