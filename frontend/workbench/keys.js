// Keyboard shortcuts shared by the workbench and review pages. Keys are matched on
// KeyboardEvent.code, so they work the same with a Korean input method or any layout, and none
// collides with typing in the textarea (plain keys, Ctrl+arrows and Ctrl+Backspace stay free).
// The list on screen is labeling/_shortcuts.html; keep the two in step.

export function comboOf(event) {
  const ctrl = event.ctrlKey || event.metaKey;
  return `${ctrl ? "Ctrl+" : ""}${event.altKey ? "Alt+" : ""}${event.shiftKey ? "Shift+" : ""}${event.code}`;
}

export function playerKeys(player) {
  return {
    Escape: () => player.togglePlay(),
    "Ctrl+BracketLeft": () => player.skip(-2),
    "Ctrl+BracketRight": () => player.skip(2),
    "Ctrl+Comma": () => player.changeSpeed(-1),
    "Ctrl+Period": () => player.changeSpeed(1),
    "Alt+KeyL": () => player.toggleLoop(),
    "Alt+Equal": () => player.zoomIn(),
    "Alt+Minus": () => player.zoomOut(),
    "Alt+Digit0": () => player.zoomWhole(),
    "Alt+ArrowUp": () => player.changeGain(1),
    "Alt+ArrowDown": () => player.changeGain(-1),
  };
}

// `extra` maps combos ("Alt+KeyX") to actions and wins over the player's keys.
export function bindShortcuts({ player, submit, skip, extra = {}, blocked = () => false }) {
  const keys = { ...playerKeys(player), "Ctrl+Enter": submit, ...(skip ? { "Alt+KeyS": skip } : {}), ...extra };
  document.addEventListener(
    "keydown",
    (event) => {
      if (blocked() || event.isComposing) return;
      const action = keys[comboOf(event)];
      if (!action) return;
      event.preventDefault();
      event.stopPropagation();
      action(event);
    },
    true,
  );
}
