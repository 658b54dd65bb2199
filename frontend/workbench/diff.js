// Word-level diff (longest common subsequence) of the draft against the labeler's text, for the
// review page: [{op: "same" | "del" | "add", text}].

export function wordDiff(before, after) {
  const a = before.split(/\s+/).filter(Boolean);
  const b = after.split(/\s+/).filter(Boolean);
  const table = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: "same", text: a[i++] });
      j++;
    } else if (j < b.length && (i === a.length || table[i][j + 1] >= table[i + 1][j])) {
      ops.push({ op: "add", text: b[j++] });
    } else {
      ops.push({ op: "del", text: a[i++] });
    }
  }
  return ops;
}

export function renderDiff(box, before, after) {
  box.replaceChildren(
    ...wordDiff(before, after).flatMap(({ op, text }) => {
      const node = document.createElement(op === "same" ? "span" : op === "add" ? "ins" : "del");
      node.textContent = text;
      return [node, document.createTextNode(" ")];
    }),
  );
}
