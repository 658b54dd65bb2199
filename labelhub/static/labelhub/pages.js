// Behaviour shared by the server-rendered pages. It lives here, not in the HTML, because the
// Content-Security-Policy forbids inline script and on*= attributes (labelhub/middleware.py).

// <select data-autosubmit>: choosing an option submits its form (language, grouping).
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.submit());
}

// <button data-copy="#field" data-copied="Copied.">: copies the field's text in one click; the
// field stays selectable as a fallback.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", async () => {
    const field = document.querySelector(button.dataset.copy);
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand("copy");
    }
    button.textContent = button.dataset.copied;
  });
}
