// A hook the sim sets while it records a trace: every accessor the ported code goes through
// (system registers, primitives, kernel data accessors) calls probe(), and the recorder reads the
// call stack there to learn which kernel functions ran. Nothing is written into the port by hand,
// and with no recorder installed the cost is one predictable branch.

let hook: (() => void) | undefined;

export function setProbe(h: (() => void) | undefined): void {
  hook = h;
}

export function probe(): void {
  if (hook) hook();
}
