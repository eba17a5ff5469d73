/**
 * A view's t or density, optionally live-linked to the recipe. Unlinked, the view keeps its own
 * value (starting from the recipe's); linked, the recipe is the one source of truth: the
 * slider shows the recipe's value and moving it edits the recipe.
 */
import { useState } from 'react';
import type { RecipeValue } from '../recipe-link.ts';

export interface LinkedValue {
  readonly value: number;
  readonly set: (v: number) => void;
  readonly live: boolean;
  readonly setLive: (on: boolean) => void;
}

export function useLinkedValue(
  recipeValue: RecipeValue,
  linked: boolean,
  fallback: number,
  apply: (v: number) => void,
): LinkedValue {
  const [local, setLocal] = useState(() => (typeof recipeValue === 'number' ? recipeValue : fallback));
  const [liveWanted, setLiveWanted] = useState(false);
  const live = liveWanted && linked;
  const value = live && typeof recipeValue === 'number' ? recipeValue : local;
  return {
    value,
    live,
    set: (v) => {
      setLocal(v);
      if (live) apply(v);
    },
    setLive: (on) => {
      setLiveWanted(on);
      if (on && typeof recipeValue === 'number') setLocal(recipeValue);
    },
  };
}
