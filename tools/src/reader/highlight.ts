// Syntax highlighting with shiki, one HTML fragment per source line (so the two sides can be laid
// out in aligned rows), with chosen identifiers turned into links.

import { createHighlighter, type Highlighter } from 'shiki';

export type Lang = 'c' | 'typescript';

export const THEME = 'github-light';

let highlighterPromise: Promise<Highlighter> | undefined;

/** One highlighter for the process: loading grammars costs far more than highlighting. */
export function highlighter(): Promise<Highlighter> {
  highlighterPromise ??= createHighlighter({ themes: [THEME], langs: ['c', 'typescript'] });
  return highlighterPromise;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Where an identifier links to (an href), or undefined to leave it plain. */
export type Linker = (word: string) => string | undefined;

const WORD = /[A-Za-z_$][\w$]*/g;

function linkWords(content: string, link: Linker | undefined): string {
  if (!link) return escapeHtml(content);
  let out = '';
  let last = 0;
  for (const m of content.matchAll(WORD)) {
    const href = link(m[0]);
    if (href === undefined) continue;
    out += escapeHtml(content.slice(last, m.index));
    out += `<a class="call" href="${escapeHtml(href)}">${escapeHtml(m[0])}</a>`;
    last = m.index + m[0].length;
  }
  return out + escapeHtml(content.slice(last));
}

const FONT_STYLES: [number, string][] = [
  [1, 'font-style:italic'],
  [2, 'font-weight:bold'],
  [4, 'text-decoration:underline'],
];

/** The lines of `code` as HTML fragments: coloured spans, linked identifiers. */
export async function highlightLines(code: string, lang: Lang, link?: Linker): Promise<string[]> {
  const h = await highlighter();
  const lines = h.codeToTokensBase(code, { lang, theme: THEME });
  return lines.map((tokens) =>
    tokens
      .map((t) => {
        const styles = [t.color ? `color:${t.color}` : ''];
        for (const [bit, css] of FONT_STYLES) if ((t.fontStyle ?? 0) & bit) styles.push(css);
        const style = styles.filter(Boolean).join(';');
        const inner = linkWords(t.content, link);
        return style ? `<span style="${style}">${inner}</span>` : inner;
      })
      .join(''),
  );
}
