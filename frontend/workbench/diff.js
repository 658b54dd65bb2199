// Word-level diff (longest common subsequence) of the draft against the labeler's text, for the
// review page: [{op: "same" | "del" | "add", text}]. With `normalise` on, words are compared the
// way WER is counted (labelhub/analytics/text.py): case and punctuation do not make a change,
// so "Play the next episode." and "play the next episode" show no edit.

const MARKS = /[\p{P}\p{S}]/gu;

export function normaliseWord(word) {
  return word.normalize("NFKC").toLocaleLowerCase().replace(MARKS, "");
}

function tokens(text, normalise) {
  const words = text.split(/\s+/).filter(Boolean);
  const keyed = words.map((word) => ({ word, key: normalise ? normaliseWord(word) : word }));
  // A bare mark ("—", "…") is no word once punctuation is ignored.
  return normalise ? keyed.filter((token) => token.key) : keyed;
}

export function wordDiff(before, after, { normalise = false } = {}) {
  const a = tokens(before, normalise);
  const b = tokens(after, normalise);
  const table = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i].key === b[j].key ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i].key === b[j].key) {
      ops.push({ op: "same", text: b[j++].word }); // the labeler's spelling of the same word
      i++;
    } else if (j < b.length && (i === a.length || table[i][j + 1] >= table[i + 1][j])) {
      ops.push({ op: "add", text: b[j++].word });
    } else {
      ops.push({ op: "del", text: a[i++].word });
    }
  }
  return ops;
}

export function renderDiff(box, before, after, options = {}) {
  box.replaceChildren(
    ...wordDiff(before, after, options).flatMap(({ op, text }) => {
      const node = document.createElement(op === "same" ? "span" : op === "add" ? "ins" : "del");
      node.textContent = text;
      return [node, document.createTextNode(" ")];
    }),
  );
}
