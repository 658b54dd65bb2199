// The reviewer's page: listen, read the word-level diff of the Whisper draft against the
// labeler's text, then approve (edits included) or return with a comment. A segment of a
// long-form source plays only its span of the source (reviewers decide on text, not cuts).
// A submitted text with QA flags (a prompt mismatch, a known Whisper hallucination) shows a
// warning before anything else, and approving it needs the confirm box ticked: one Ctrl+Enter
// must never approve "turn on the television." for a clip whose prompt was another sentence.

import { api, gettext, interpolate } from "../shared/api.js";
import { renderDiff } from "./diff.js";
import { showFlags } from "./flags.js";
import { bindShortcuts } from "./keys.js";
import { $, startPage, url } from "./page.js";

const { config, textarea, player, checker, outbox, say } = startPage();

let task = null;
let openedAt = 0;
let busy = false;
let heartbeat = null;
const IGNORE_KEY = "labelhub:review:diff-ignore-case-punctuation";
const ignoreBox = $("diff-normalise");
ignoreBox.checked = localStorage.getItem(IGNORE_KEY) !== "0"; // on unless turned off

function drawDiff() {
  renderDiff($("diff"), task?.asr?.text || "", textarea.value, { normalise: ignoreBox.checked });
}

function flagged() {
  return (task?.qa_flags || []).length > 0;
}

function showQaFlags(data) {
  showFlags($("qa-flags"), $("qa-flag-list"), data.qa_flags);
  const mismatch = (data.qa_flags || []).some((flag) => flag.code === "prompt_mismatch");
  $("mismatch").hidden = !mismatch;
  $("mismatch-prompt").textContent = data.prompt_text || "";
  $("mismatch-text").textContent = data.submitted?.text || "";
  const rate = data.submitted?.prompt_cer;
  $("mismatch-cer").textContent = rate == null ? "" : interpolate(gettext("CER against the prompt: %s%"), [Math.round(rate * 100)]);
  $("confirm-flags").checked = false;
}

async function next() {
  clearInterval(heartbeat);
  const data = await api(config.claimUrl, { method: "POST" });
  task = data;
  $("task").hidden = !data;
  $("empty").hidden = !!data;
  if (!data) return say(gettext("Nothing is waiting for review right now."));
  openedAt = performance.now();
  $("task-title").textContent = interpolate(data.source ? gettext("Segment %s · %s") : gettext("Clip %s · %s"), [data.recording, data.campaign]);
  window.reviewReady = false;
  $("labeler").textContent = data.labeler || "";
  textarea.value = data.submitted?.text || "";
  $("comment").value = "";
  drawDiff();
  showQaFlags(data);
  $("prompt").hidden = !data.prompt_text;
  $("prompt-text").textContent = data.prompt_text || "";
  $("history-link").href = url(config.historyPage, data.recording);
  checker.convention = data.convention;
  checker.policy = data.policy || {};
  checker.check();
  loadAudio(data);
  heartbeat = setInterval(() => api(url(config.leaseUrl, data.id), { method: "POST" }).catch(() => {}), config.heartbeatSeconds * 1000);
  say("");
  textarea.focus();
}

// A clip plays whole; a segment plays its span of the source, shown as the one region.
function loadAudio(data) {
  const source = data.source;
  const span = source ? data.span : null;
  $("span").hidden = !span;
  if (span) $("span").textContent = interpolate(gettext("Segment %s–%s s of source %s"), [span.start.toFixed(2), span.end.toFixed(2), source.id]);
  const words = (data.asr?.segments || []).flatMap((segment) => segment.words || []);
  // A segment's draft is stored relative to the segment; the player runs on the source's clock.
  const offset = span ? span.start : 0;
  player.words.set(words.map((word) => ({ ...word, start: word.start + offset, end: word.end + offset })));
  const audio = source
    ? { audioUrl: source.audio_url, peaksUrl: source.peaks_url, duration: source.duration, spectrogramUrl: source.spectrogram_url, span }
    : { audioUrl: data.audio_url, peaksUrl: data.peaks_url, duration: data.duration_seconds, spectrogramUrl: url(config.spectrogramUrl, data.recording) };
  return player.load(audio).then(() => {
    if (span) player.regions.addRegion({ start: span.start, end: span.end, color: "rgba(64, 120, 200, 0.2)", drag: false, resize: false });
    window.reviewReady = true;
  });
}

async function decide(decision) {
  if (!task || busy) return;
  if (decision === "return" && !$("comment").value.trim()) {
    $("comment").focus();
    return say(gettext("Write a comment for the labeler before returning the clip."), "error");
  }
  if (decision === "approve" && flagged() && !$("confirm-flags").checked) {
    $("confirm-flags").focus();
    return say(gettext("This text is flagged: read the warning, tick the box to confirm, then approve."), "error");
  }
  busy = true;
  const body = {
    decision,
    text: textarea.value,
    comment: $("comment").value,
    base_revision: task.base_revision,
    confirm_flags: $("confirm-flags").checked,
    work_seconds: Math.round((performance.now() - openedAt) / 100) / 10,
  };
  try {
    await outbox.send(url(config.decideUrl, task.id), body);
    say(decision === "return" ? gettext("Returned to the labeler.") : gettext("Approved."), "ok");
    await next();
  } catch (error) {
    if (error.code === "convention_error") {
      checker.show(error.body?.error?.issues || []);
      say(gettext("Fix the marked problems before approving."), "error");
    } else if (error.code === "stale_revision") {
      say(gettext("The labeler's text changed; the newest version is loaded."), "error");
      await next();
    } else {
      say(error.message || String(error), "error");
    }
  } finally {
    busy = false;
  }
}

textarea.addEventListener("input", drawDiff);
ignoreBox.addEventListener("change", () => {
  localStorage.setItem(IGNORE_KEY, ignoreBox.checked ? "1" : "0");
  drawDiff();
});
$("approve").addEventListener("click", () => decide("approve"));
$("return").addEventListener("click", () => decide("return"));
$("play").addEventListener("click", () => player.togglePlay());
$("gain-up").addEventListener("click", () => player.changeGain(1));
$("gain-down").addEventListener("click", () => player.changeGain(-1));
$("zoom-in").addEventListener("click", () => player.zoomIn());
$("zoom-out").addEventListener("click", () => player.zoomOut());
bindShortcuts({ player, submit: () => decide("approve"), skip: null, extra: { "Alt+KeyR": () => decide("return") } });
outbox.flush().finally(() => next().catch((error) => say(error.message, "error")));
