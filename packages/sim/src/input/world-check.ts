// Cross-reference checks the schema cannot express, shared by scenarios and explorer
// configurations: every name a reference uses exists, names are unique, CPUs are in range, vector
// lengths are among the machine's, the features describe a machine that can exist, and a mutant
// named in a file is one the port has. Each failure is one line naming the file and the field.

import type { TaskConfig, VcpuConfig } from '../config.js';
import { DEFAULT_FEATURES } from '../config.js';
import { describeValue, fieldError } from './errors.js';

export interface MachineInput {
  cpus: number;
  features?: Partial<typeof DEFAULT_FEATURES>;
  sveVls?: number[];
  smeVls?: number[];
}

export interface WorldInput {
  mutant?: string | null;
  machine: MachineInput;
  tasks: TaskConfig[];
  vcpus?: VcpuConfig[];
}

export const DEFAULT_VLS = [16, 32, 64];

export type Fail = (field: string, expected: string, found: unknown) => never;

export function failer(file: string): Fail {
  return (field, expected, found) => {
    throw fieldError(file, field, expected, describeValue(found));
  };
}

function features(m: MachineInput) {
  return { ...DEFAULT_FEATURES, ...m.features };
}

/** Features that only exist on top of others (Arm ARM: SVE and SME need FP/SIMD; SME2 and FA64 are parts of SME). */
function checkMachine(m: MachineInput, fail: Fail): void {
  const f = features(m);
  for (const dep of ['sve', 'sme', 'sme2', 'fa64'] as const)
    if (!f.fpsimd && f[dep])
      fail('machine.features.fpsimd', `true when features.${dep} is true (it needs FP/SIMD)`, f.fpsimd);
  for (const dep of ['sme2', 'fa64'] as const)
    if (f[dep] && !f.sme) fail(`machine.features.${dep}`, 'false when features.sme is false', f[dep]);
  if (f.sve && (m.sveVls ?? DEFAULT_VLS).length === 0)
    fail('machine.sveVls', 'at least one vector length when features.sve is true', m.sveVls);
  if (f.sme && (m.smeVls ?? DEFAULT_VLS).length === 0)
    fail('machine.smeVls', 'at least one vector length when features.sme is true', m.smeVls);
}

/** A task's own vector length must be one the machine supports, and only where it has the feature. */
function checkVl(
  field: string,
  vl: number | undefined,
  has: boolean,
  vls: number[],
  what: string,
  fail: Fail,
) {
  if (vl === undefined) return;
  if (!has) fail(field, `no ${what} vector length (the machine has no ${what})`, vl);
  if (!vls.includes(vl))
    fail(field, `one of the machine's ${what} vector lengths ${JSON.stringify(vls)}`, vl);
}

function checkTasks(w: WorldInput, fail: Fail): void {
  const f = features(w.machine);
  const startsOn = new Map<number, string>();
  w.tasks.forEach((t, i) => {
    if (w.tasks.findIndex((x) => x.name === t.name) !== i)
      fail(`tasks.${i}.name`, 'a name no other task has', t.name);
    if (t.cpu !== undefined && t.cpu >= w.machine.cpus)
      fail(`tasks.${i}.cpu`, `a CPU below machine.cpus (${w.machine.cpus})`, t.cpu);
    if (t.cpu !== undefined && !t.unborn) {
      const other = startsOn.get(t.cpu);
      if (other !== undefined)
        fail(`tasks.${i}.cpu`, `a CPU no other task starts on ('${other}' does)`, t.cpu);
      startsOn.set(t.cpu, t.name);
    }
    checkVl(`tasks.${i}.sveVl`, t.sveVl, f.sve, w.machine.sveVls ?? DEFAULT_VLS, 'SVE', fail);
    checkVl(`tasks.${i}.smeVl`, t.smeVl, f.sme, w.machine.smeVls ?? DEFAULT_VLS, 'SME', fail);
  });
}

function checkVcpus(w: WorldInput, fail: Fail): void {
  const f = features(w.machine);
  const tasks = w.tasks.map((t) => t.name);
  const vmms = w.tasks.filter((t) => t.vmm).map((t) => t.name);
  const vcpus = w.vcpus ?? [];
  vcpus.forEach((v, i) => {
    if (vcpus.findIndex((x) => x.name === v.name) !== i)
      fail(`vcpus.${i}.name`, 'a name no other vcpu has', v.name);
    if (tasks.includes(v.name)) fail(`vcpus.${i}.name`, 'a name no task has', v.name);
    if (!vmms.includes(v.vmm))
      fail(`vcpus.${i}.vmm`, `one of the VMM tasks (vmm: true) ${JSON.stringify(vmms)}`, v.vmm);
    if (v.sve && !f.sve) fail(`vcpus.${i}.sve`, 'false on a machine without SVE', v.sve);
    if (v.sveVl !== undefined && !v.sve)
      fail(`vcpus.${i}.sveVl`, 'no SVE vector length for a vcpu without SVE', v.sveVl);
    checkVl(`vcpus.${i}.sveVl`, v.sveVl, f.sve, w.machine.sveVls ?? DEFAULT_VLS, 'SVE', fail);
  });
}

function checkMutant(w: WorldInput, mutants: readonly string[], fail: Fail): void {
  if (w.mutant === undefined || w.mutant === null) return;
  if (!mutants.includes(w.mutant))
    fail('mutant', `null (no mutant) or one of ${mutants.join(', ')}`, w.mutant);
}

/** Everything a scenario and a configuration share: machine, tasks, vcpus, mutant. */
export function checkWorld(file: string, w: WorldInput, mutants: readonly string[]): void {
  const fail = failer(file);
  checkMutant(w, mutants, fail);
  checkMachine(w.machine, fail);
  checkTasks(w, fail);
  checkVcpus(w, fail);
}
