import { describe, expect, it } from 'vitest';
import { bodyHash, normaliseBody, stripComments } from './body-hash.js';

const FN = `static int demo(int a)
{
	/* block comment */
	return a + 1; // line comment
}`;

describe('stripComments', () => {
  it('removes block and line comments', () => {
    expect(stripComments('a /* x\n y */ b // z\nc')).toBe('a  b \nc');
  });

  it('keeps comment markers inside string and character literals', () => {
    expect(stripComments(`s = "a /* b */ // c"; q = '"'; /* gone */`)).toBe(
      `s = "a /* b */ // c"; q = '"'; `,
    );
    expect(stripComments(`e = "say \\"hi\\" // still"; // gone`)).toBe(`e = "say \\"hi\\" // still"; `);
  });

  it('continues a line comment over a backslash-newline, as C does', () => {
    expect(stripComments('a // one \\\n two\nb')).toBe('a \nb');
  });
});

describe('bodyHash', () => {
  it('is 16 lowercase hex digits of sha256 over the normalised text', () => {
    expect(bodyHash(FN)).toMatch(/^[0-9a-f]{16}$/);
    expect(normaliseBody(FN)).toBe('staticintdemo(inta){returna+1;}');
  });

  it('keeps the hash when only comments or whitespace change', () => {
    const reworded = `static int demo(int a) {
		// a different comment
		return   a+1;   /* and another */
	}`;
    expect(bodyHash(reworded)).toBe(bodyHash(FN));
  });

  it('changes the hash when a token changes', () => {
    expect(bodyHash(FN.replace('a + 1', 'a + 2'))).not.toBe(bodyHash(FN));
    expect(bodyHash(FN.replace('static int', 'static long'))).not.toBe(bodyHash(FN));
  });
});
