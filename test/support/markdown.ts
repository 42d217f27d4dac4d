import { readFileSync } from 'node:fs';

/** A markdown file's lines outside fenced code blocks (``` or ~~~), with their 1-based line numbers. */
export function proseLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((t, i) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(t);
    if (open) {
      if (fence === undefined) fence = open[1][0];
      else if (open[1][0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: i + 1, text: t });
  });
  return out;
}

/**
 * The anchor GitHub gives a heading (github-slugger's rule): the rendered text in lower case, every character
 * that is not a letter, mark, digit, connector, space or hyphen dropped, spaces turned into hyphens; a repeated
 * anchor gets -1, -2, ... in document order.
 */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text: t } of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(t);
    if (!m) continue;
    const rendered = m[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const base = rendered
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

export interface MarkdownLink {
  line: number;
  target: string;
}

/** Inline links and autolinks outside code (fenced blocks and `code spans`), in document order. */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, text: t } of proseLines(text)) {
    const prose = t.replace(/`+[^`]*`+/g, '');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: m[1] });
    for (const m of prose.matchAll(/<((?:https?|mailto|ftp):[^>\s]+)>/g)) links.push({ line, target: m[1] });
  }
  return links;
}

export const readText = (path: string) => readFileSync(path, 'utf8');
