// Lining up a kernel function with its port, line by line. The port keeps the kernel's names and
// control flow, so two lines correspond when they share most of their identifiers. A dynamic
// programme picks the order-preserving set of such pairs with the greatest total similarity (as a
// diff does with equal lines); the lines between two anchored pairs are shown side by side.

export interface AlignedRow {
  /** 0-based index into the left (kernel) lines, or undefined for a blank cell. */
  left?: number;
  /** 0-based index into the right (port) lines. */
  right?: number;
  /** True when the two lines were paired because they correspond (not just placed side by side). */
  matched: boolean;
}

const WORD = /[A-Za-z_]\w*/g;

/** Words that say little about which line is which. */
const NOISE = new Set([
  'const',
  'let',
  'var',
  'void',
  'int',
  'bool',
  'static',
  'inline',
  'unsigned',
  'u64',
  'number',
  'export',
  'function',
  'struct',
]);

/** The identifiers of a line; a line of closing braces is its own signature so braces pair up. */
export function lineSignature(line: string): Set<string> {
  // Comments are our own words on one side and the kernel's on the other: never evidence.
  const trimmed = line
    .replace(/\/\*.*?\*\//g, ' ')
    .replace(/\/\/.*$/, '')
    .trim();
  if (/^[})\];]+$/.test(trimmed)) return new Set([trimmed.replace(/[;)\]]/g, '')]);
  // Inside a block comment: an opening line, or a continuation line (" * text", " */").
  if (trimmed.startsWith('/*') || /^\*(\s|\/|$)/.test(trimmed)) return new Set();
  const words = new Set<string>();
  for (const m of trimmed.matchAll(WORD)) if (!NOISE.has(m[0])) words.add(m[0]);
  return words;
}

export function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  for (const w of a) if (b.has(w)) common++;
  return common / (a.size + b.size - common);
}

/** Pairs below this similarity are not considered corresponding. */
export const MIN_SIMILARITY = 0.34;

/** The aligned rows for two lists of lines. */
export function alignLines(left: readonly string[], right: readonly string[]): AlignedRow[] {
  const ls = left.map(lineSignature);
  const rs = right.map(lineSignature);
  const n = ls.length;
  const m = rs.length;
  // best[i][j]: the best total for left[i..] and right[j..]; row-major in one array.
  const width = m + 1;
  const best = new Float64Array((n + 1) * width);
  const score = (i: number, j: number): number => {
    const s = similarity(ls[i] ?? new Set(), rs[j] ?? new Set());
    return s >= MIN_SIMILARITY ? s : 0;
  };
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = score(i, j);
      const skip = Math.max(best[(i + 1) * width + j] ?? 0, best[i * width + j + 1] ?? 0);
      best[i * width + j] = s > 0 ? Math.max(skip, s + (best[(i + 1) * width + j + 1] ?? 0)) : skip;
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const here = best[i * width + j] ?? 0;
    const s = score(i, j);
    if (s > 0 && Math.abs(here - (s + (best[(i + 1) * width + j + 1] ?? 0))) < 1e-9) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (Math.abs(here - (best[(i + 1) * width + j] ?? 0)) < 1e-9) i++;
    else j++;
  }
  const rows: AlignedRow[] = [];
  let li = 0;
  let ri = 0;
  const fill = (lEnd: number, rEnd: number): void => {
    while (li < lEnd || ri < rEnd) {
      rows.push({
        ...(li < lEnd ? { left: li++ } : {}),
        ...(ri < rEnd ? { right: ri++ } : {}),
        matched: false,
      });
    }
  };
  for (const [pl, pr] of pairs) {
    fill(pl, pr);
    rows.push({ left: li++, right: ri++, matched: true });
  }
  fill(n, m);
  return rows;
}
