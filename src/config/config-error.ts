import { YAMLParseError } from 'yaml';
import type { z } from 'zod';

/** Thrown at boot when the environment or a config file is invalid; names every bad key at once. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
}

/**
 * Where a routes file issue is, as a person finds it: `routes[3] (v2-chat)`, then the field inside the route. The
 * id is read from the document as written (it may itself be the bad value); a route without one has its index.
 */
function routeWhere(path: readonly PropertyKey[], doc: unknown): string | undefined {
  if (path[0] !== 'routes' || typeof path[1] !== 'number') return undefined;
  const routes = (doc as { routes?: unknown } | null)?.routes;
  const id = Array.isArray(routes) ? (routes[path[1]] as { id?: unknown } | null)?.id : undefined;
  const field = path.slice(2).join('.');
  return `routes[${path[1]}]${typeof id === 'string' ? ` (${id})` : ''}${field ? ` ${field}` : ''}`;
}

/** One line per issue, `<where>: <what>`; with `doc` (a parsed routes file), routes are named by their id. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], doc?: unknown): string[] {
  return issues.map((i) => {
    const where = (doc !== undefined && routeWhere(i.path, doc)) || i.path.join('.') || '(root)';
    return `${where}: ${issueMessage(i)}`;
  });
}

/**
 * RFC 3986 3.2.1: applications should not render a userinfo's password as clear text; a line shown from a routes
 * file may hold an upstream URL. Masked character for character, so a caret below the line still points right.
 */
function maskUserinfo(line: string): string {
  return line.replace(
    /(\/\/)([^/\s@]+)@/g,
    (_m, slashes: string, info: string) => `${slashes}${'*'.repeat(info.length)}@`,
  );
}

/**
 * The line at `pos` (or, when that line is blank, the last line above it with text) with a caret under the spot,
 * after the line before it: a parser often notices a mistake (an unclosed bracket) one line late.
 */
function sourceFrame(text: string, pos: number): string {
  const lines = text.split('\n').map((l) => maskUserinfo(l.replace(/\r$/, '')));
  const before = text.slice(0, pos);
  let index = before.split('\n').length - 1;
  let column = pos - (before.lastIndexOf('\n') + 1);
  while (index > 0 && !lines[index]?.trim()) {
    index--;
    column = lines[index].length;
  }
  const width = String(index + 1).length;
  const numbered = (i: number) => `\n  ${String(i + 1).padStart(width)} | ${lines[i]}`;
  const context = index > 0 && lines[index - 1].trim() ? numbered(index - 1) : '';
  // Tabs kept in the caret's indent so it lines up under a tab-indented line.
  const indent = (lines[index] ?? '').slice(0, column).replace(/[^\t]/g, ' ');
  return `${context}${numbered(index)}\n  ${' '.repeat(width)} | ${indent}^`;
}

/**
 * A YAML syntax error as a person can act on it: what is wrong, where (line and column, 1-based), and the
 * offending line with a caret under the spot; the message spans lines.
 */
export function yamlProblem(err: unknown, text: string): string {
  if (!(err instanceof YAMLParseError)) return `not valid YAML: ${(err as Error).message.split('\n')[0]}`;
  const pos = Math.min(err.pos[0], text.length);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - (before.lastIndexOf('\n') + 1) + 1;
  const end = text.slice(pos).trim() === '' ? ' (the end of the file)' : '';
  return `not valid YAML at line ${line}, column ${column}${end}: ${err.message}${sourceFrame(text, pos)}`;
}
