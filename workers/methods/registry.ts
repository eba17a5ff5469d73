/**
 * Every merge method by its mergekit YAML name. The UI's method picker, the recipe validator
 * and the docs all read this list.
 */
import { arceeFusion } from './arcee-fusion.ts';
import { karcher } from './karcher.ts';
import { linear } from './linear.ts';
import { modelStock } from './model-stock.ts';
import { multislerp } from './multislerp.ts';
import { nearswap } from './nearswap.ts';
import { nuslerp } from './nuslerp.ts';
import { passthrough } from './passthrough.ts';
import { ram, ramplusTl } from './ram.ts';
import { sce } from './sce.ts';
import { slerp } from './slerp.ts';
import {
  breadcrumbs,
  breadcrumbsTies,
  dareLinear,
  dareTies,
  della,
  dellaLinear,
  taskArithmetic,
  ties,
} from './task-arithmetic-family.ts';
import type { MergeMethod } from './types.ts';

export const METHODS: readonly MergeMethod[] = [
  linear,
  slerp,
  nuslerp,
  multislerp,
  karcher,
  taskArithmetic,
  ties,
  dareTies,
  dareLinear,
  breadcrumbs,
  breadcrumbsTies,
  della,
  dellaLinear,
  sce,
  ram,
  ramplusTl,
  modelStock,
  nearswap,
  arceeFusion,
  passthrough,
];

const byName = new Map(METHODS.map((m) => [m.name, m]));

export function getMethod(name: string): MergeMethod | undefined {
  return byName.get(name);
}

export const METHOD_NAMES: readonly string[] = METHODS.map((m) => m.name);
