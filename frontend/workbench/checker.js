// Convention check as you type: the server's checker is the one source of truth, asked after a
// short pause in typing. Offending spans are listed and marked in a preview under the textarea;
// clicking an issue selects its span in the textarea. The campaign's normalisation policy
// (casing, final punctuation, numbers) is checked with the convention; where the server offers
// a mechanical fix (lowercase a word, add or drop the final mark) a button applies it.

import { api, gettext } from "../shared/api.js";

export class ConventionChecker {
  constructor({ textarea, list, preview, url, onChange = () => {} }) {
    this.textarea = textarea;
    this.list = list;
    this.preview = preview;
    this.url = url;
    this.onChange = onChange;
    this.convention = "plain";
    this.policy = {};
    this.issues = [];
    this.timer = null;
    this.sequence = 0;
    textarea.addEventListener("input", () => this.schedule());
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), 250);
  }

  async check() {
    const text = this.textarea.value;
    const ticket = ++this.sequence;
    try {
      const { issues } = await api(this.url, { method: "POST", body: { text, convention: this.convention, ...this.policy } });
      if (ticket === this.sequence) this.show(issues, text);
    } catch {
      // Offline: the server checks again on submit; nothing to show meanwhile.
    }
  }

  fixButton(fix) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "fix";
    button.textContent = fix.label;
    button.addEventListener("click", () => this.applyFix(fix));
    return button;
  }

  // Replaces the span as the server computed it, then checks again; the input event lets the
  // page keep its local copy and diff up to date as if the labeler had typed it.
  applyFix(fix) {
    const text = this.textarea.value;
    this.textarea.value = text.slice(0, fix.start) + fix.replacement + text.slice(fix.end);
    this.textarea.dispatchEvent(new Event("input", { bubbles: true }));
    this.textarea.focus();
    clearTimeout(this.timer);
    return this.check();
  }

  show(issues, text = this.textarea.value) {
    this.issues = issues;
    this.list.replaceChildren(
      ...issues.map((issue) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = `${issue.start}–${issue.end}: ${issue.message}`;
        button.addEventListener("click", () => {
          this.textarea.focus();
          this.textarea.setSelectionRange(issue.start, Math.max(issue.end, issue.start + 1));
        });
        item.append(button);
        if (issue.fix) item.append(" ", this.fixButton(issue.fix));
        return item;
      }),
    );
    this.preview.replaceChildren();
    this.preview.hidden = issues.length === 0;
    let at = 0;
    for (const issue of issues) {
      if (issue.start < at) continue;
      this.preview.append(document.createTextNode(text.slice(at, issue.start)));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(issue.start, Math.max(issue.end, issue.start + 1)) || " ";
      mark.title = issue.message;
      this.preview.append(mark);
      at = Math.max(issue.end, issue.start + 1);
    }
    this.preview.append(document.createTextNode(text.slice(at)));
    this.list.setAttribute("aria-label", issues.length ? gettext("Convention problems") : "");
    this.onChange(issues);
  }
}
