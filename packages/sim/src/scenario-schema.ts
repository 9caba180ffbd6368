// The JSON Schema of scenario files. It is published as fixtures/schema/scenario.schema.json (a
// test keeps the two identical) so editors can validate scenarios through `$schema`.

const userOps = [
  'fpsimd',
  'sve',
  'ssve',
  'za',
  'zt0',
  'smstart',
  'smstart_sm',
  'smstart_za',
  'smstop',
  'smstop_sm',
  'smstop_za',
];

/** The FP regsets a tracer reads and writes (NT_PRFPREG, NT_ARM_SVE, NT_ARM_SSVE, NT_ARM_ZA, NT_ARM_ZT). */
export const REGSETS = ['fpr', 'sve', 'ssve', 'za', 'zt'] as const;
export type Regset = (typeof REGSETS)[number];

/** The edits a signal handler may make to its frame before sigreturn (events-host.ts applies them). */
export const FRAME_EDITS = [
  'bad_magic',
  'drop_fpsimd',
  'wrong_vl',
  'truncate',
  'set_v',
  'set_za',
  'drop_sve',
  'toggle_sm',
  'drop_za',
  'drop_zt',
  'set_zt',
] as const;
export type FrameEdit = (typeof FRAME_EDITS)[number];

const event = {
  oneOf: [
    obj(
      { do: { const: 'user' }, task: str(), op: { enum: userOps }, check: { type: 'boolean' }, to: str() },
      ['do', 'task', 'op'],
    ),
    obj({ do: { const: 'syscall' }, task: str(), neon: { type: 'boolean' }, to: str() }, ['do', 'task']),
    obj(
      {
        do: { const: 'kvm_run' },
        task: str(),
        immediateExit: {
          type: 'boolean',
          description: 'the VMM sets run->immediate_exit: KVM_RUN returns -EINTR at once',
        },
        to: str(),
      },
      ['do', 'task'],
    ),
    obj({ do: { const: 'step' }, cpu: int(), to: str() }, ['do', 'cpu']),
    obj(
      {
        do: { const: 'softirq_neon' },
        cpu: int(),
        deferred: {
          type: 'boolean',
          description:
            'raised inside the next softirq-disabled section of the CPU; runs at its local_bh_enable',
        },
        to: str(),
      },
      ['do', 'cpu'],
    ),
    {
      ...obj(
        {
          do: { const: 'preempt' },
          cpu: int(),
          next: str(),
          idle: { const: true, description: "switch to the CPU's idle task instead of a next task" },
        },
        ['do', 'cpu'],
      ),
      oneOf: [{ required: ['next'] }, { required: ['idle'] }],
    },
    obj({ do: { const: 'guest' }, vcpu: str(), op: { enum: userOps }, check: { type: 'boolean' } }, [
      'do',
      'vcpu',
      'op',
    ]),
    obj(
      {
        do: { const: 'guest_exit' },
        vcpu: str(),
        reason: {
          enum: ['irq', 'mmio'],
          description: 'irq (default): back into the guest; mmio: KVM_EXIT_MMIO, KVM_RUN returns to the VMM',
        },
        to: str(),
      },
      ['do', 'vcpu'],
    ),
    obj(
      {
        do: { const: 'guest_zcr' },
        vcpu: str(),
        vl: {
          enum: [16, 32, 64, 128, 256],
          description: 'the guest kernel writes its ZCR_EL1 for this length',
        },
      },
      ['do', 'vcpu', 'vl'],
    ),
    obj({ do: { const: 'kick' }, task: str(), to: str() }, ['do', 'task']),
    // Host events (events-host.ts): signals, ptrace, prctl, fork, exec.
    obj(
      { do: { const: 'signal' }, task: str(), sig: { type: 'integer', minimum: 1, maximum: 64 }, to: str() },
      ['do', 'task'],
    ),
    obj(
      {
        do: { const: 'sigreturn' },
        task: str(),
        edit: {
          enum: FRAME_EDITS,
          description: 'the handler changes its frame before returning',
        },
        to: str(),
      },
      ['do', 'task'],
    ),
    obj({ do: { const: 'ptrace_stop' }, task: str() }, ['do', 'task']),
    obj(
      {
        do: { const: 'ptrace_cont' },
        task: str(),
        syscall: {
          type: 'boolean',
          description: 'PTRACE_SYSCALL: stop again at the next syscall entry or exit',
        },
        to: str(),
      },
      ['do', 'task'],
    ),
    obj({ do: { const: 'ptrace_get' }, tracer: str(), task: str(), regset: { enum: REGSETS }, to: str() }, [
      'do',
      'tracer',
      'task',
      'regset',
    ]),
    obj(
      {
        do: { const: 'ptrace_set' },
        tracer: str(),
        task: str(),
        regset: { enum: REGSETS },
        data: {
          enum: ['regs', 'fpsimd', 'none'],
          description: 'the payload after the header (default regs)',
        },
        vl: { enum: [16, 32, 64, 128, 256] },
        to: str(),
      },
      ['do', 'tracer', 'task', 'regset'],
    ),
    obj(
      {
        do: { const: 'prctl' },
        task: str(),
        op: { enum: ['sve_set_vl', 'sme_set_vl'] },
        vl: { enum: [16, 32, 64, 128, 256] },
        onexec: { type: 'boolean' },
        inherit: { type: 'boolean' },
        to: str(),
      },
      ['do', 'task', 'op', 'vl'],
    ),
    obj({ do: { const: 'fork' }, task: str(), child: str(), to: str() }, ['do', 'task', 'child']),
    obj({ do: { const: 'exec' }, task: str(), to: str() }, ['do', 'task']),
  ],
};

function str() {
  return { type: 'string', minLength: 1 };
}
function int() {
  return { type: 'integer', minimum: 0 };
}
function obj(properties: Record<string, unknown>, required: string[]) {
  return { type: 'object', properties, required, additionalProperties: false };
}

const vls = { type: 'array', items: { enum: [16, 32, 64, 128, 256] }, uniqueItems: true };
const count = { type: 'integer', minimum: 0 };

export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://kvm-fp-port.invalid/scenario.schema.json',
  title: 'kvm-fp-port scenario',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'claim', 'machine', 'tasks', 'events'],
  properties: {
    $schema: str(),
    title: str(),
    claim: { type: 'string', minLength: 10, description: 'what this scenario tests, in our own words' },
    revision: { enum: ['v6.3', 'v6.4'] },
    mutant: { type: ['string', 'null'] },
    machine: obj(
      {
        cpus: { type: 'integer', minimum: 1, maximum: 8 },
        features: obj(
          {
            fpsimd: { type: 'boolean' },
            sve: { type: 'boolean' },
            sme: { type: 'boolean' },
            sme2: { type: 'boolean' },
            fa64: { type: 'boolean' },
            vhe: { type: 'boolean' },
          },
          [],
        ),
        sveVls: vls,
        smeVls: vls,
      },
      ['cpus'],
    ),
    tasks: {
      type: 'array',
      minItems: 1,
      items: obj(
        {
          name: str(),
          vmm: { type: 'boolean' },
          cpu: int(),
          sveVl: int(),
          smeVl: int(),
          unborn: { type: 'boolean', description: 'created later by a fork event' },
        },
        ['name'],
      ),
    },
    vcpus: {
      type: 'array',
      items: obj(
        {
          name: str(),
          vmm: str(),
          sve: { type: 'boolean' },
          sveVl: int(),
          aarch32: { type: 'boolean' },
          guestCpacrEl1: int(),
          guestZcrEl1: {
            type: 'integer',
            minimum: 0,
            maximum: 15,
            description: "the guest kernel's ZCR_EL1 (LEN = VL/16 - 1); default KVM's reset value 0",
          },
        },
        ['name', 'vmm', 'sve'],
      ),
    },
    events: { type: 'array', items: event },
    expect: obj(
      {
        violations: {
          type: 'array',
          items: obj({ invariant: str(), detail: str() }, ['invariant']),
          description:
            'exactly these invariants fail (detail: a substring); empty means every invariant holds',
        },
        moves: obj({ save: count, load: count, flush: count, smstart: count, smstop: count }, []),
        functions: { type: 'array', items: str(), description: 'kernel functions that must have run' },
        notFunctions: { type: 'array', items: str(), description: 'kernel functions that must not have run' },
        findings: { type: 'array', items: str() },
        disabled: {
          type: 'array',
          items: { type: 'integer', minimum: 1 },
          uniqueItems: true,
          description:
            'step numbers (from 1) of events expected not to be enabled; any other event that is not enabled is an input error',
        },
        dies: {
          type: 'string',
          minLength: 1,
          description: 'the world stops with a BUG whose report contains this text (an Oops)',
        },
        final: {
          type: 'object',
          description: 'final per-CPU facts, e.g. { "cpu0.svcr": 0, "vmm.fp_state": ... }',
          additionalProperties: { type: ['number', 'string', 'boolean'] },
        },
      },
      ['violations'],
    ),
  },
} as const;
