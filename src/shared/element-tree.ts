/**
 * For component tests without a DOM: the first element of a rendered tree of elements (host
 * elements only, no components inside) that `hit` accepts, searched depth first.
 */
import { isValidElement, type ReactElement, type ReactNode } from 'react';

export function findElement<P extends { children?: ReactNode }>(
  node: ReactNode,
  hit: (e: ReactElement<P>) => boolean,
): ReactElement<P> | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const found = findElement(n, hit);
      if (found) return found;
    }
    return undefined;
  }
  if (!isValidElement<P>(node)) return undefined;
  return hit(node) ? node : findElement(node.props.children, hit);
}

/** The element with id `id`. */
export function elementById<P extends { id?: string; children?: ReactNode }>(
  node: ReactNode,
  id: string,
): ReactElement<P> | undefined {
  return findElement<P>(node, (e) => e.props.id === id);
}
