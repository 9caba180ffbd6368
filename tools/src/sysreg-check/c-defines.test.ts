import { describe, expect, it } from 'vitest';
import { MacroEvaluator, parseDefines, Unevaluable } from './c-defines.js';

// Hand-made header text in the kernel's style (not kernel text).
const HEADER = `
#define Op0_shift 19
#define Op1_shift 16
#define pack(a, b) \\
	(((a) << Op0_shift) | \\
	 ((b) << Op1_shift))
#define pack_alias pack
#define DEMO_ENC	pack(3, 2)	/* a trailing comment */
#define DEMO_ALIAS	pack_alias(1, 0)
#define DEMO_TOP	(1U << 31)
#define DEMO_HIGH	(UL(1) << 40)
#define DEMO_BITS	(BIT(4) | BIT_ULL(5))
#define DEMO_MASK	GENMASK(7, 4)
#define DEMO_WIDE	GENMASK_ULL(63, 32)
#define DEMO_REF	(DEMO_MASK | DEMO_TOP)
#define DEMO_HEX	0x000032ffUL
#define DEMO_NOT	(~DEMO_MASK & 0xff)
#define DEMO_CAST	((u32)0x10)
#define DEMO_COND	(DEMO_TOP ? 2 : 3)
#define DEMO_ARITH	(10 * 3 - 8 / 2 % 3 + (1 << 2 >> 1))
#define DEMO_AC		_AC(7, UL)
#define DEMO_OCTAL	010
#define DEMO_STRING	"hello"
#define DEMO_UNKNOWN	(SOMETHING_ELSE | 1)
#define DEMO_SELF	DEMO_SELF
#define DEMO_PASTE(x)	x ## _EL1
// #define DEMO_COMMENTED 5
#ifdef OTHER
#define DEMO_TWICE 1
#else
#define DEMO_TWICE 2
#endif
`;

describe('MacroEvaluator', () => {
  const ev = new MacroEvaluator(parseDefines(HEADER, 'demo.h'), new Map([['GEN_VALUE', 42n]]));
  const value = (name: string) => ev.value(name);

  it.each([
    ['DEMO_ENC', (3n << 19n) | (2n << 16n)],
    ['DEMO_ALIAS', 1n << 19n],
    ['DEMO_TOP', 0x80000000n],
    ['DEMO_HIGH', 1n << 40n],
    ['DEMO_BITS', 0x30n],
    ['DEMO_MASK', 0xf0n],
    ['DEMO_WIDE', 0xffffffff00000000n],
    ['DEMO_REF', 0x800000f0n],
    ['DEMO_HEX', 0x32ffn],
    ['DEMO_NOT', 0x0fn],
    ['DEMO_CAST', 0x10n],
    ['DEMO_COND', 2n],
    ['DEMO_ARITH', 31n],
    ['DEMO_AC', 7n],
    ['DEMO_OCTAL', 8n],
    ['DEMO_TWICE', 1n],
    ['GEN_VALUE', 42n],
  ])('evaluates %s', (name, expected) => {
    expect(value(name)).toBe(expected);
  });

  it.each(['DEMO_STRING', 'DEMO_UNKNOWN', 'DEMO_SELF', 'pack'])('reports %s as unevaluable', (name) => {
    expect(value(name)).toBeInstanceOf(Unevaluable);
  });

  it('leaves commented-out and undefined names undefined', () => {
    expect(value('DEMO_COMMENTED')).toBeUndefined();
    expect(value('NOT_THERE')).toBeUndefined();
  });

  it('evaluates a function-like macro use', () => {
    expect(ev.evaluate('pack(0, 3)')).toBe(3n << 16n);
    expect(() => ev.evaluate('DEMO_PASTE(X)')).toThrow(Unevaluable);
  });
});
