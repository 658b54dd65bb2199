// Keyboard shortcuts shared by the workbench and review pages. Keys are matched on
// KeyboardEvent.code, so they work the same with a Korean input method or any layout, and none
// collides with typing in the textarea (plain keys, Ctrl+arrows and Ctrl+Backspace stay free).

export function bindShortcuts({ player, submit, skip, extra = {}, blocked = () => false }) {
  document.addEventListener(
    "keydown",
    (event) => {
      if (blocked() || event.isComposing) return;
      const ctrl = event.ctrlKey || event.metaKey;
      let action = null;
      if (event.code === "Escape" && !ctrl && !event.altKey) action = () => player.togglePlay();
      else if (ctrl && event.code === "BracketLeft") action = () => player.skip(-2);
      else if (ctrl && event.code === "BracketRight") action = () => player.skip(2);
      else if (ctrl && event.code === "Comma") action = () => player.changeSpeed(-1);
      else if (ctrl && event.code === "Period") action = () => player.changeSpeed(1);
      else if (ctrl && event.code === "Enter") action = submit;
      else if (event.altKey && event.code === "KeyL") action = () => player.toggleLoop();
      else if (event.altKey && event.code === "KeyS" && skip) action = skip;
      else if (event.altKey && extra[event.code]) action = extra[event.code];
      if (!action) return;
      event.preventDefault();
      event.stopPropagation();
      action();
    },
    true,
  );
}
