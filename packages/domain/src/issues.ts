import type { z } from 'zod';

/** Options of {@link formatIssues}. */
export interface IssueFormat {
  /** Name of an issue at the root (empty path): `'(root)'` by default; null shows the message alone. */
  readonly root?: string | null;
  /** At most this many issues are listed; the rest are counted ("; and 3 more"). Default: all. */
  readonly max?: number;
}

/** Renders a zod issue path as `readings[3].values[1].unit` (empty string for the root). */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${String(seg)}` : String(seg);
  return out;
}

/**
 * The one rendering of zod issues in rejection details, config errors and file errors:
 * `path: message; path: message`, paths as {@link formatIssuePath}.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], opts: IssueFormat = {}): string {
  const root = opts.root === undefined ? '(root)' : opts.root;
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  const shown = issues.slice(0, max).map((i) => {
    const path = formatIssuePath(i.path);
    if (path) return `${path}: ${i.message}`;
    return root === null ? i.message : `${root}: ${i.message}`;
  });
  const more = issues.length > max ? `; and ${issues.length - max} more` : '';
  return shown.join('; ') + more;
}
