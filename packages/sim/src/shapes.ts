// SPDX-License-Identifier: GPL-2.0-only
//
// Shapes of world objects, for the specialised clone, load and fingerprint walks (graph.ts,
// canon.ts). The world is plain data whose objects come in a few dozen shapes (the same keys in
// the same order); each walk compiles, once per shape, a function that reads the fields by fixed
// names, so the engine sees one layout per access site instead of every layout at one generic
// site. Which shape an object has is found by comparing its keys with the shapes last seen at the
// same place of the walk (a site), which costs one pass over the keys and allocates nothing.
//
// Sharing. The walks keep the sharing of the data (a pointer target reached a second time is the
// same object, and hashes as a back-reference), but keep a visit record only for objects whose
// shape may be reached from more than one place. Every shape is such a pointer target unless it
// is listed in TREE_OWNED below: shapes the port only ever stores in one owning field (copied,
// never pointed at). Arrays are tree-owned too: no pointer in the port points at an array. The
// classification is checked on random walks of every kind of configuration by
// world-walk.test.ts (no object of a tree-owned shape, and no array, is reached twice), and a
// shape not listed falls back to being recorded, which is sound and only slower.

/** The key lists (comma-joined) of shapes that are only ever reached from one owning field. */
const TREE_OWNED: readonly string[] = [
  // The world and its containers (world.ts, kvm.ts).
  'rev,mutant,machine,kernel,kvm,users,guests,writers,runq,violations,moves,step,kneon',
  'vms,vcpus',
  'save,load,flush,smstart,smstop',
  'writer,seq',
  'invariant,detail,step',
  // The machine (machine/src/state.ts).
  'config,cpus',
  'index,el,world,sys,regs',
  'cpacr_el1,cptr_el2,hcr_el2,zcr_el1,zcr_el2,smcr_el1,smcr_el2,svcr,tpidr2_el0,esr_el1,esr_el2,elr_el2,spsr_el2,fpexc32_el2',
  'V,Zhi,P,FFR,ZA,ZT0,FPSR',
  // Kernel data (fpsimd/src/v6.4/types.ts): per-CPU data, pointers to fields, embedded structs.
  'tasks,percpu,vl_info,default_vl,findings',
  'tasks,percpu,vl_info,default_vl,findings,kvm_percpu',
  'current,fpsimd_last_state,fpsimd_context_busy,preempt_count,softirq_disable,irqs_disabled,in_softirq,in_hardirq',
  'current,fpsimd_last_state,fpsimd_context_busy,preempt_count,softirq_disable,irqs_disabled,in_softirq,in_hardirq,softirq_pending',
  'st,sve_state,sme_state,svcr,sve_vl,sme_vl,fp_type,to_save',
  'obj,key',
  'tp_value,tp2_value,fpsimd_state',
  'syscallno',
  'syscallno,regs,sp,pc',
  'type,name,min_vl,max_vl,max_virtualisable_vl,vls',
  'kind,where,detail,cpu,pid',
  // KVM data (kvm-fpsimd/src/v6.4/kvm_host.ts): embedded parts of a vcpu and the per-CPU host data.
  'regs,fp_regs,sys_regs,__hyp_running_vcpu',
  'exception_taken',
  'CPACR_EL1,ZCR_EL1,ESR_EL1,FPEXC32_EL2',
  'exit_reason,immediate_exit',
  'esr_el2',
  'flags',
  'kvm_host_data,kvm_init_params,kvm_running_vcpu',
  'host_ctxt',
  'hcr_el2',
  // Programs and their user memory (world.ts, view.ts, fpsimd/src/user-memory.ts).
  'pid,name,writer,seq,vmm,mode,kpath,retry,view,signals,kernelSignals,mm,pending,frames,stop,frozen',
  'vcpuId,name,vmm,writer,seq,sve,view,unexpected,undefs,trapped',
  'slots,sm,za',
  'op,check',
  'sig,where,op,granted',
  'sig,sp,frame,view',
  'chunks,faults,taskSize',
  'off,len,kind,v',
  'start,end',
  'vq,zlo,zhi,p,ffr',
  'vq,za',
  'size,max_size,vl,max_vl,flags',
];

const treeOwned = new Set(TREE_OWNED);

/** One layout of object: its keys in order, and the code each walk compiled for it. */
export interface Shape {
  readonly keys: readonly string[];
  /** Comma-joined keys (the registry's and TREE_OWNED's name for the shape). */
  readonly name: string;
  /** Objects of this shape may be reached from more than one place: the walks record them. */
  readonly shared: boolean;
  /** Whether code with fixed field names can be made for it (no index-like or special keys). */
  readonly compilable: boolean;
  /** Per-walk compiled code, filled in lazily by each walk (graph.ts, canon.ts, pack.ts). */
  readonly code: ShapeCode;
}

/**
 * Each walk's code for a shape, and its number in this thread's packings. Every field is made
 * with the shape, so all shapes' code records have one layout: read with a field that some
 * records lacked, the lookup ran slowly at every object of every walk.
 */
export interface ShapeCode {
  clone: unknown;
  load: unknown;
  hash: unknown;
  hashVal: unknown;
  encode: unknown;
  decode: unknown;
  packId: number | undefined;
}

function emptyCode(): ShapeCode {
  return {
    clone: undefined,
    load: undefined,
    hash: undefined,
    hashVal: undefined,
    encode: undefined,
    decode: undefined,
    packId: undefined,
  };
}

const registry = new Map<string, Shape>();

/** Keys an object literal or a fixed-name access would not reproduce in for-in order. */
function compilableKeys(keys: readonly string[]): boolean {
  return keys.every((k) => k !== '__proto__' && !/^(0|[1-9][0-9]*)$/.test(k));
}

/** The shape of `o`, looked up by its keys (the slow path: it allocates). */
export function shapeOf(o: object): Shape {
  const keys: string[] = [];
  for (const k in o) keys.push(k);
  return shapeByKeys(keys);
}

/** The shape of objects with these keys in this order (a mirror's reading of another thread's shape). */
export function shapeByKeys(keys: readonly string[]): Shape {
  const id = keys.join('\u0000');
  let s = registry.get(id);
  if (s === undefined) {
    const name = keys.join(',');
    s = {
      keys: [...keys],
      name,
      shared: !treeOwned.has(name),
      compilable: compilableKeys(keys),
      code: emptyCode(),
    };
    registry.set(id, s);
  }
  return s;
}

/** Whether `o` has exactly these keys in this order (for-in order, as the walks read them). */
export function hasKeys(o: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in o) {
    if (k !== keys[i]) return false;
    i++;
  }
  return i === keys.length;
}

/**
 * A place in a walk (a field of a shape, or the elements of an array there) that remembers the
 * two shapes it saw last, so that finding an object's shape is usually one key comparison pass.
 */
export class Site {
  a: Shape | null = null;
  b: Shape | null = null;
  private elems: Site | null = null;

  /** The site of the elements of an array found here. */
  items(): Site {
    return (this.elems ??= new Site());
  }
}

/** The shape of `o`, a non-array object found at `site`. */
export function shapeAt(site: Site, o: object): Shape {
  const a = site.a;
  if (a !== null && hasKeys(o, a.keys)) return a;
  const b = site.b;
  if (b !== null && hasKeys(o, b.keys)) {
    site.b = a;
    site.a = b;
    return b;
  }
  const s = shapeOf(o);
  site.b = a;
  site.a = s;
  return s;
}

/**
 * The objects of shared shapes a walk has met, with what it made of each (a copy, an id): a
 * short list searched from the end, since a world has a dozen such objects; past a bound it is
 * indexed by a map. Reused across calls, and emptied after each so it keeps nothing alive.
 */
export class VisitList<T> {
  // The first `n` slots are in use. The lists keep their room between walks (emptying them by
  // length is a runtime call and gives the room back, so every walk grew them again); clear()
  // blanks the used slots, so nothing stays reachable.
  private readonly objs: (object | null)[] = [];
  private readonly vals: (T | undefined)[] = [];
  private n = 0;
  private index: Map<object, T> | null = null;

  get(o: object): T | undefined {
    if (this.index !== null) return this.index.get(o);
    const objs = this.objs;
    for (let i = this.n - 1; i >= 0; i--) if (objs[i] === o) return this.vals[i];
    return undefined;
  }

  add(o: object, v: T): void {
    if (this.index !== null) {
      this.index.set(o, v);
      return;
    }
    this.objs[this.n] = o;
    this.vals[this.n] = v;
    this.n++;
    if (this.n > 48) {
      this.index = new Map();
      for (let i = 0; i < this.n; i++) this.index.set(this.objs[i]!, this.vals[i]!);
    }
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) {
      this.objs[i] = null;
      this.vals[i] = undefined;
    }
    this.n = 0;
    this.index = null;
  }
}

/** A JavaScript expression reading field `k` of the object held in variable `o`. */
export function field(o: string, k: string): string {
  return `${o}[${JSON.stringify(k)}]`;
}

/** Makes a function from generated source: `params` are bound to `args`, the body returns it. */
export function compile<F>(params: string[], args: unknown[], body: string): F {
  // Generated once per shape from the shape's own key names (quoted with JSON.stringify), never
  // from data values: this is how each shape gets code with fixed field names.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(...params, body) as (...a: unknown[]) => F;
  return make(...args);
}
