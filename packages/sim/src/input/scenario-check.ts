// The checks of a scenario beyond its world: each event's fields (validated against the schema of
// its own kind, so an error names the field rather than every alternative), the names and CPUs
// events refer to, and the kernel functions its expectations name.

import type { ValidateFunction } from 'ajv';
import type { Scenario } from '../scenario.js';
import { SCENARIO_SCHEMA } from '../scenario-schema.js';
import { describeValue, fieldError } from './errors.js';
import { PORT_FUNCTIONS } from './port-functions.js';
import { compileSchema, schemaError } from './schema.js';
import { failer, type Fail } from './world-check.js';

type EventSchema = { properties: { do: { const: string } } };
const EVENT_SCHEMAS = SCENARIO_SCHEMA.properties.events.items.oneOf as unknown as readonly EventSchema[];
const EVENT_KINDS = EVENT_SCHEMAS.map((s) => s.properties.do.const);
let eventValidators: Map<string, ValidateFunction> | undefined;

function validatorFor(kind: string): ValidateFunction | undefined {
  eventValidators ??= new Map(EVENT_SCHEMAS.map((s) => [s.properties.do.const, compileSchema(s)]));
  return eventValidators.get(kind);
}

/** Validates each event against the schema of its `do`, before the whole document is validated. */
export function checkEventShapes(file: string, data: unknown): void {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return;
  const events = (data as { events?: unknown }).events;
  if (!Array.isArray(events)) return;
  events.forEach((ev: unknown, i) => {
    if (ev === null || typeof ev !== 'object' || Array.isArray(ev))
      throw fieldError(file, `events.${i}`, 'an event (an object with a `do`)', describeValue(ev));
    const kind = (ev as { do?: unknown }).do;
    const validate = typeof kind === 'string' ? validatorFor(kind) : undefined;
    if (!validate)
      throw fieldError(file, `events.${i}.do`, `one of ${EVENT_KINDS.join(', ')}`, describeValue(kind));
    if (!validate(ev)) {
      const e = validate.errors![0];
      throw schemaError(file, data, { ...e, instancePath: `/events/${i}${e.instancePath}` });
    }
  });
}

type AnyEvent = Scenario['events'][number] &
  Partial<Record<'task' | 'vcpu' | 'next' | 'tracer' | 'child', string>>;

function checkEventReferences(s: Scenario, fail: Fail): void {
  const tasks = s.tasks.map((t) => t.name);
  const unborn = s.tasks.filter((t) => t.unborn).map((t) => t.name);
  const vcpus = (s.vcpus ?? []).map((v) => v.name);
  const oneOf = (names: string[]) => `one of ${JSON.stringify(names)}`;
  s.events.forEach((ev: AnyEvent, i) => {
    for (const key of ['task', 'next', 'tracer'] as const)
      if (ev[key] !== undefined && !tasks.includes(ev[key]))
        fail(`events.${i}.${key}`, `a task, ${oneOf(tasks)}`, ev[key]);
    if (ev.vcpu !== undefined && !vcpus.includes(ev.vcpu))
      fail(`events.${i}.vcpu`, `a vcpu, ${oneOf(vcpus)}`, ev.vcpu);
    if (ev.child !== undefined && !unborn.includes(ev.child))
      fail(`events.${i}.child`, `a task declared unborn, ${oneOf(unborn)}`, ev.child);
    if ('cpu' in ev && ev.cpu >= s.machine.cpus)
      fail(`events.${i}.cpu`, `a CPU below machine.cpus (${s.machine.cpus})`, ev.cpu);
  });
}

const portFunctions = new Set(PORT_FUNCTIONS);

/** A function the port does not have would make `notFunctions` pass, and `functions` fail, for nothing. */
function checkExpectedFunctions(s: Scenario, fail: Fail): void {
  for (const key of ['functions', 'notFunctions'] as const)
    (s.expect?.[key] ?? []).forEach((name, i) => {
      if (!portFunctions.has(name))
        fail(`expect.${key}.${i}`, 'a function of the port (a kernel name, as traces show)', name);
    });
}

export function checkScenarioReferences(file: string, s: Scenario): void {
  const fail = failer(file);
  checkEventReferences(s, fail);
  checkExpectedFunctions(s, fail);
}
