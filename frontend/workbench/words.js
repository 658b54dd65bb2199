// The Whisper draft as clickable words, the one being heard highlighted. Words are separate
// spans joined by real spaces, so the line wraps at any length (a 3-minute draft without them
// was one 8,883 px line whose highlighted word scrolled off screen).

const LOW_CONFIDENCE = 0.6;

export class DraftWords {
  constructor(box, onSeek) {
    this.box = box;
    this.onSeek = onSeek;
    this.words = [];
    this.current = -1;
  }

  // Takes {start, end, text, probability} objects or the segment API's [start, end, word, prob].
  set(words) {
    this.words = (words || []).map((word) =>
      Array.isArray(word) ? { start: word[0], end: word[1], text: word[2], probability: word[3] } : word,
    );
    this.current = -1;
    if (!this.box) return;
    const nodes = [];
    this.words.forEach((word, index) => {
      const span = document.createElement("span");
      span.textContent = word.text.trim();
      span.dataset.index = index;
      if (word.probability !== undefined && word.probability !== null && word.probability < LOW_CONFIDENCE) {
        span.classList.add("low");
        span.title = `${Math.round(word.probability * 100)}%`;
      }
      span.addEventListener("click", () => this.onSeek(word.start));
      if (index) nodes.push(document.createTextNode(" "));
      nodes.push(span);
    });
    this.box.replaceChildren(...nodes);
  }

  highlight(seconds) {
    if (!this.box || !this.words.length) return;
    const index = this.words.findIndex((word) => word.start <= seconds && seconds < word.end);
    if (index === this.current) return;
    this.box.querySelector("span.current")?.classList.remove("current");
    const span = index >= 0 ? this.box.querySelector(`span[data-index="${index}"]`) : null;
    span?.classList.add("current");
    // Keep the word being heard in view when the draft is longer than its box.
    span?.scrollIntoView({ block: "nearest", inline: "nearest" });
    this.current = index;
  }
}
