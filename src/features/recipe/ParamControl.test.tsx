/**
 * "Use one value for …" on a parameter that varies by layer: the curve collapses to one number
 * (its mean), never to "unset", which would make a parameter without a default (slerp's t, a
 * model's weight) missing. ParamControl has no hooks, so it is called as a plain function.
 */
import { isValidElement, type ReactElement, type ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { getMethod } from '../../../workers/methods/registry.ts';
import type { ParamSpec } from '../../../workers/methods/types.ts';
import type { ParameterSetting } from '../../../workers/plan/recipe.ts';
import { ParamControl } from './ParamControl.tsx';

type Props = { children?: ReactNode; onClick?: () => void };

/** The button whose text starts with `label`, searched through the element tree. */
function findButton(node: ReactNode, label: string): ReactElement<Props> | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const hit = findButton(n, label);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!isValidElement<Props>(node)) return undefined;
  const text = [node.props.children]
    .flat()
    .filter((c) => typeof c === 'string')
    .join('');
  if (node.type === 'button' && text.startsWith(label)) return node;
  return findButton(node.props.children, label);
}

function clickOneValue(spec: ParamSpec, value: ParameterSetting): ParameterSetting | undefined {
  let got: ParameterSetting | undefined | 'not called' = 'not called';
  const tree = ParamControl({
    spec,
    label: spec.name,
    value,
    fallback: undefined,
    onChange: (v) => (got = v),
    onEditCurve: () => undefined,
  });
  const button = findButton(tree, `Use one value for ${spec.name}`);
  expect(button).toBeDefined();
  button!.props.onClick!();
  expect(got).not.toBe('not called');
  return got as ParameterSetting | undefined;
}

const spec = (method: string, name: string) => getMethod(method)!.params.find((p) => p.name === name)!;

describe('Use one value', () => {
  it('collapses slerp’s t (no default) to the mean of its curve', () => {
    expect(spec('slerp', 't').default).toBeUndefined();
    expect(clickOneValue(spec('slerp', 't'), [0, 1])).toBe(0.5);
    expect(clickOneValue(spec('slerp', 't'), [0.1, 0.2, 0.4])).toBe(0.2333);
  });

  it('takes the catch-all curve of a filter list, a model’s weight included', () => {
    const list = [{ filter: 'self_attn', value: [0, 1] }, { value: [0.2, 0.6] }];
    expect(clickOneValue(spec('slerp', 't'), list)).toBe(0.4);
    expect(clickOneValue(spec('linear', 'weight'), [1, 2])).toBe(1.5);
  });
});
