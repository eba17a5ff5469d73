/**
 * YAML syntax errors as recipe problems, in words a recipe author can act on: a second document
 * (a mergekit-multi file, which `merge-studio multi` runs), a key given twice (named, with where
 * it is and what mergekit would keep: PyYAML silently takes the last value), else the parser's
 * own first line.
 */
import { isMap, isScalar, isSeq, type Node, type YAMLError } from 'yaml';
import { formatPath, type RecipeProblem, type YamlPath } from './problems.ts';

type LinePos = (offset: number) => { line: number; col: number };

export function yamlSyntaxProblems(
  errors: readonly YAMLError[],
  loose: unknown,
  linePos: LinePos,
): RecipeProblem[] {
  return errors.map((e) => {
    const pos = linePos(e.pos[0]);
    const problem = (path: YamlPath, message: string): RecipeProblem => ({
      path,
      message,
      severity: 'error',
      ...pos,
    });
    if (e.code === 'MULTIPLE_DOCS') {
      return problem(
        [],
        `one recipe per file: a second YAML document (---) starts at line ${pos.line}; a file of several recipes is a multi-stage merge (mergekit-multi): run it with merge-studio multi FILE --intermediate-dir DIR (mergekit-yaml refuses it too)`,
      );
    }
    const dup = e.code === 'DUPLICATE_KEY' ? findDuplicate(loose as Node | null, e.pos[0], []) : undefined;
    if (dup) {
      const where = dup.path.length === 1 ? 'at the top level' : `in ${formatPath(dup.path.slice(0, -1))}`;
      return problem(
        dup.path,
        `'${String(dup.path[dup.path.length - 1])}' is given twice ${where} (mergekit would silently use the last${dup.last === undefined ? '' : `, ${dup.last}`}); keep one`,
      );
    }
    return problem([], `YAML syntax: ${e.message.split('\n')[0]}`);
  });
}

const keyOf = (k: unknown): unknown => (isScalar(k) ? k.value : k);

/** The key starting at `offset` that repeats an earlier key of its mapping, with its path. */
function findDuplicate(
  node: Node | null | undefined,
  offset: number,
  path: YamlPath,
): { path: YamlPath; last: string | undefined } | undefined {
  if (isMap(node)) {
    for (const [i, pair] of node.items.entries()) {
      const key = keyOf(pair.key);
      const k = pair.key as Node | null;
      if (k?.range?.[0] === offset && node.items.slice(0, i).some((p) => keyOf(p.key) === key)) {
        const last = node.items.filter((p) => keyOf(p.key) === key).pop()!.value as Node | null;
        return {
          path: [...path, String(key)],
          last: isScalar(last) ? JSON.stringify(last.toJSON()) : undefined,
        };
      }
      const inner = findDuplicate(pair.value as Node | null, offset, [...path, String(key)]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inner = findDuplicate(item as Node | null, offset, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}
