// The labeler's workbench: claim a clip, correct the Whisper draft while listening, submit and
// get the next one, keyboard first. Saves go through a retry queue; what is typed is kept in
// localStorage per task until the server has it. A claim on a long-form campaign hands over a
// run of segments of one source; segments.js takes the page over for those.

import { api, gettext, interpolate } from "../shared/api.js";
import { showFlags } from "./flags.js";
import { bindShortcuts } from "./keys.js";
import { $, startPage, url } from "./page.js";
import { SegmentMode } from "./segments.js";

const { config, textarea, player, checker, outbox, say } = startPage();
const timings = (window.workbenchTimings = {});

let task = null;
let baseRevision = null;
let openedAt = 0;
let busy = false;
let heartbeat = null;
const segments = new SegmentMode({ config, player, textarea, outbox, checker, say, claimNext: () => next(), showConflict });

const draftKey = () => `labelhub:workbench:draft:${task.id}:${task.mode}`;

function keepDraft() {
  if (task) localStorage.setItem(draftKey(), JSON.stringify({ text: textarea.value, base: baseRevision }));
}

function savedDraft() {
  try {
    return JSON.parse(localStorage.getItem(draftKey()) || "null");
  } catch {
    return null;
  }
}

async function next() {
  clearInterval(heartbeat);
  hideConflict();
  say(gettext("Loading the next clip…"));
  const data = await api(config.claimUrl, { method: "POST" });
  if (!data) {
    task = null;
    $("task").hidden = true;
    $("empty").hidden = false;
    say(gettext("The queue is empty. Well done."));
    return;
  }
  open(data);
}

function open(data) {
  task = data;
  $("segment-panel").hidden = !data.source;
  $("segment-shortcuts").hidden = !data.source;
  $("skip").hidden = !!data.source; // skipping is for clips; a segment can be deleted instead
  if (data.source) return openSegments(data);
  segments.close();
  textarea.readOnly = false;
  baseRevision = data.base_revision;
  openedAt = performance.now();
  $("empty").hidden = true;
  $("task").hidden = false;
  $("task-title").textContent = interpolate(gettext("Clip %s · %s"), [data.recording, data.campaign]);
  $("mode").hidden = data.mode !== "double";
  const saved = savedDraft();
  textarea.value = saved && saved.base === baseRevision ? saved.text : data.draft?.text || "";
  $("return-comment").hidden = !data.return_comment;
  $("return-comment-text").textContent = data.return_comment || "";
  $("prompt").hidden = !data.prompt_text;
  $("prompt-text").textContent = data.prompt_text || "";
  $("history-link").href = url(config.historyPage, data.recording);
  $("low-confidence").hidden = !data.asr?.low_confidence;
  showFlags($("qa-flags"), $("qa-flag-list"), data.qa_flags);
  checker.convention = data.convention;
  checker.policy = data.policy || {};
  checker.check();
  timeAudio();
  const drafted = data.asr?.segments || [];
  player.words.set(drafted.flatMap((segment) => segment.words || []));
  player
    .load({
      audioUrl: data.audio_url,
      peaksUrl: data.peaks_url,
      duration: data.duration_seconds,
      spectrogramUrl: url(config.spectrogramUrl, data.recording),
    })
    .then(() => {
      showDraftSegments(drafted);
      markPeaksDrawn();
    });
  heartbeat = setInterval(renewLease, config.heartbeatSeconds * 1000);
  say(data.mode === "double" ? gettext("Second transcription: write what you hear.") : "");
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
}

// navigation start → audio element ready and waveform drawn, for the tests and the benchmark.
function timeAudio() {
  const audio = $("audio");
  audio.addEventListener("loadedmetadata", () => (timings.audioMetadata ??= performance.now()), { once: true });
  audio.addEventListener("canplay", () => (timings.audioCanPlay ??= performance.now()), { once: true });
}

function markPeaksDrawn() {
  timings.peaksDrawn ??= performance.now();
}

// The draft's own segments of a clip: read-only regions and buttons (Shift+click loops one).
function showDraftSegments(drafted) {
  player.loopCandidate = (now) => drafted.find((s) => s.start <= now && now < s.end) || null;
  for (const segment of drafted) {
    player.regions.addRegion({ start: segment.start, end: segment.end, color: "rgba(64, 120, 200, 0.12)", drag: false, resize: false });
  }
  $("regions").replaceChildren(
    ...drafted.map((segment) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = `${segment.start.toFixed(1)}–${segment.end.toFixed(1)}`;
      button.title = segment.text;
      button.addEventListener("click", (event) => (event.shiftKey ? player.toggleLoop(segment) : player.seek(segment.start)));
      return button;
    }),
  );
}

function openSegments(data) {
  $("empty").hidden = true;
  $("task").hidden = false;
  $("task-title").textContent = interpolate(gettext("Source %s · %s"), [data.source.id, data.campaign]);
  $("history-link").href = url(config.historyPage, data.recording);
  $("return-comment").hidden = !data.return_comment;
  $("return-comment-text").textContent = data.return_comment || "";
  $("prompt").hidden = true;
  $("mode").hidden = true;
  $("regions").replaceChildren();
  timeAudio();
  showFlags($("qa-flags"), $("qa-flag-list"), []);
  checker.convention = data.convention;
  checker.policy = data.policy || {};
  heartbeat = setInterval(renewLease, config.heartbeatSeconds * 1000);
  say("");
  segments.open(data).then(markPeaksDrawn).catch(handleError);
}

async function renewLease() {
  if (!task) return;
  // One renewal holds every segment of the run; it must name a task still held.
  const id = segments.active ? segments.heldTaskId() : task.id;
  if (!id) return;
  try {
    await api(url(config.leaseUrl, id), { method: "POST" });
  } catch (error) {
    if (error.code === "lease_expired") say(gettext("Your hold on this clip expired; it may be given to someone else."), "warn");
  }
}

async function submit() {
  if (segments.active) return segments.submit();
  if (!task || busy) return;
  busy = true;
  keepDraft();
  const sent = task;
  const body = {
    text: textarea.value,
    base_revision: baseRevision,
    work_seconds: Math.round((performance.now() - openedAt) / 100) / 10,
  };
  say(gettext("Saving…"));
  try {
    await outbox.send(url(config.submitUrl, sent.id), body);
    localStorage.removeItem(`labelhub:workbench:draft:${sent.id}:${sent.mode}`);
    say(gettext("Saved."), "ok");
    loadStats();
    await next();
  } catch (error) {
    handleError(error);
  } finally {
    busy = false;
  }
}

function handleError(error) {
  const body = error.body?.error || {};
  if (error.code === "stale_revision") return showConflict(body.latest);
  if (error.code === "convention_error") {
    checker.show(body.issues || []);
    return say(gettext("Fix the marked problems before submitting."), "error");
  }
  if (error.code === "lease_expired" || error.code === "task_closed") {
    say(error.message, "error");
    return setTimeout(next, 1500);
  }
  say(error.message || String(error), "error");
}

function showConflict(latest) {
  const panel = $("conflict");
  panel.hidden = false;
  $("conflict-text").textContent = latest?.text || "";
  $("conflict-who").textContent = latest
    ? interpolate(gettext("Revision %s by %s at %s"), [latest.number, latest.author || "ASR", new Date(latest.created_at).toLocaleString()])
    : "";
  panel.dataset.latest = latest ? latest.id : "";
  panel.latestText = latest?.text || "";
  say(gettext("Someone changed this transcript while you worked on it."), "error");
  $("conflict-keep").focus();
}

function hideConflict() {
  $("conflict").hidden = true;
}

function resolveConflict(keepMine) {
  if (segments.active) {
    hideConflict();
    return segments.resolveConflict(keepMine, $("conflict").latestText, $("conflict").dataset.latest);
  }
  const panel = $("conflict");
  baseRevision = panel.dataset.latest ? Number(panel.dataset.latest) : null;
  if (!keepMine) textarea.value = panel.latestText;
  hideConflict();
  keepDraft();
  checker.check();
  say(keepMine ? gettext("Your text will be saved on top of the newer revision.") : gettext("The newer text is loaded."));
  textarea.focus();
}

async function skip() {
  const dialog = $("skip-dialog");
  if (!task || dialog.open) return;
  dialog.showModal();
  $("skip-reason").focus();
}

async function confirmSkip(event) {
  event.preventDefault();
  const dialog = $("skip-dialog");
  const body = { reason: $("skip-reason").value, note: $("skip-note").value };
  dialog.close();
  try {
    await api(url(config.skipUrl, task.id), { method: "POST", body });
    localStorage.removeItem(draftKey());
    say(gettext("Skipped: the clip went to the PM's triage list."), "ok");
    await next();
  } catch (error) {
    handleError(error);
  }
}

async function loadStats() {
  try {
    const stats = await api(config.statsUrl);
    $("stat-clips").textContent = stats.clips_today;
    $("stat-minutes").textContent = stats.audio_minutes_today;
    $("stat-median").textContent = stats.median_seconds_per_clip ?? "—";
  } catch {
    // Stats are a nicety; offline they simply stay as they were.
  }
}

textarea.addEventListener("input", () => (segments.active ? segments.keepText() : keepDraft()));
$("submit").addEventListener("click", submit);
$("skip").addEventListener("click", skip);
$("skip-form").addEventListener("submit", confirmSkip);
$("skip-cancel").addEventListener("click", () => $("skip-dialog").close());
$("conflict-keep").addEventListener("click", () => resolveConflict(true));
$("conflict-take").addEventListener("click", () => resolveConflict(false));
$("play").addEventListener("click", () => player.togglePlay());
$("gain-up").addEventListener("click", () => player.changeGain(1));
$("gain-down").addEventListener("click", () => player.changeGain(-1));
$("zoom-in").addEventListener("click", () => player.zoomIn());
$("zoom-out").addEventListener("click", () => player.zoomOut());
bindShortcuts({
  player,
  submit,
  skip: () => (segments.active ? null : skip()),
  extra: segments.keys(),
  blocked: () => $("skip-dialog").open,
});

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.name === "first-contentful-paint") timings.firstPaint = entry.startTime;
}).observe({ type: "paint", buffered: true });
outbox.flush().finally(() => {
  loadStats();
  next().catch(handleError);
});
