// A made-up port file for the manifest tool's tests (arch/demo/demo.c, revision v6.4).

let demo_counter = 0;

// arch/demo/demo.c demo_bump v6.4
export function demo_bump(by: number): void {
  demo_counter += by;
}

// arch/demo/demo.c demo_feature_level v6.4 (the CONFIG_DEMO_FEATURE definition)
export const demo_feature_level = (): number => Math.min(demo_counter * 2, 3);

// arch/demo/demo.c demo_flush v6.4
export function demo_flush(): void {
  demo_bump(-demo_counter);
}

function helperNotExported(): number {
  return demo_counter;
}

// Exported under the kernel name with a local alias.
export { helperNotExported as demo_read };

/** A camelCase export: not a kernel name, so the manifest need not list it. */
export function resetForTests(): void {
  demo_counter = 0;
}

export const DEMO_LIMIT = 3;
