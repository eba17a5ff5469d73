/**
 * Where keyboard focus goes back when a panel opened from a control closes: the control that
 * had focus when it opened (the "Vary … per layer…" button), if it is still on the page.
 * Without this, closing the panel (Close, Escape) drops focus to the page body.
 */
export interface Focusable {
  focus(): void;
  readonly isConnected: boolean;
}

export interface FocusReturn {
  /** The panel opened (or now edits another thing) while `active` had focus. */
  opened(active: Focusable | null, insidePanel: boolean): void;
  /** The panel closed: focus the opener, if any and still there. */
  closed(): void;
}

export function focusReturn(): FocusReturn {
  let opener: Focusable | undefined;
  return {
    opened(active, insidePanel) {
      // A switch made from inside the panel keeps the first opener.
      if (active && !insidePanel) opener = active;
    },
    closed() {
      const el = opener;
      opener = undefined;
      if (el?.isConnected) el.focus();
    },
  };
}
