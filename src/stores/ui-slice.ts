/** What the page is showing: which parameter the per-layer curve editor is editing. */
import type { StateCreator } from 'zustand';
import type { StudioState } from './store.ts';

/** A parameter whose per-layer curve is being edited: global, or one model's. */
export interface CurveTarget {
  readonly name: string;
  /** The model's id for per-model parameters; absent for global ones. */
  readonly model?: string;
}

export interface UiSlice {
  readonly curveTarget: CurveTarget | undefined;
  setCurveTarget(t: CurveTarget | undefined): void;
}

export const createUiSlice: StateCreator<StudioState, [], [], UiSlice> = (set) => ({
  curveTarget: undefined,
  setCurveTarget: (curveTarget) => set({ curveTarget }),
});
