/**
 * A text box's text that follows the store while the user is not typing in it: the YAML
 * editors, the extraction's pattern lists and the MoE experts' prompt lists. While the box has
 * focus the text is the user's (re-serialising would move their cursor and drop a line being
 * started); on blur it catches up with what the store holds (blank lines gone, YAML
 * re-serialised). Spread `focusHandlers` on the box and call `setText` in its onChange.
 */
import { useState } from 'react';

export function useLiveText(source: string) {
  const [text, setText] = useState(source);
  const [focused, setFocused] = useState(false);
  // The source last copied into the box; undefined after a blur, so the next render copies it.
  const [shown, setShown] = useState<string | undefined>(source);
  if (!focused && shown !== source) {
    setShown(source);
    setText(source);
  }
  const focusHandlers = {
    onFocus: () => setFocused(true),
    onBlur: () => {
      setFocused(false);
      setShown(undefined);
    },
  };
  return { text, setText, focusHandlers };
}
