// QA flags of the text on screen (labelhub/labeling/qa_flags.py): a known Whisper
// hallucination, text with no audio under it, a text far from the prompt. The server names
// them; the page lists them above the transcript.

export function showFlags(box, list, flags) {
  box.hidden = !flags?.length;
  list.replaceChildren(
    ...(flags || []).map((flag) => {
      const item = document.createElement("li");
      item.dataset.code = flag.code;
      item.textContent = flag.message;
      return item;
    }),
  );
}
