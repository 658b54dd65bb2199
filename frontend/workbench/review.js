// The reviewer's page: listen, read the word-level diff of the Whisper draft against the
// labeler's text, then approve (edits included) or return with a comment.

import { api, gettext, interpolate } from "../shared/api.js";
import { ConventionChecker } from "./checker.js";
import { renderDiff } from "./diff.js";
import { bindShortcuts } from "./keys.js";
import { Outbox } from "./outbox.js";
import { Player } from "./player.js";

const config = JSON.parse(document.getElementById("workbench-config").textContent);
const $ = (id) => document.getElementById(id);
const url = (template, id) => template.replace("{id}", id);
const textarea = $("transcript");

const player = new Player({
  audio: $("audio"),
  canvas: $("waveform"),
  regionsBox: $("regions"),
  wordsBox: $("words"),
  speedLabel: $("speed"),
  loopLabel: $("loop"),
});
const checker = new ConventionChecker({ textarea, list: $("issues"), preview: $("issue-preview"), url: config.checkUrl });
const outbox = new Outbox({
  onQueued: (count) => say(interpolate(gettext("Offline: %s save(s) kept in this browser, retrying…"), [count]), "warn"),
});

let task = null;
let openedAt = 0;
let busy = false;
let heartbeat = null;

function say(message, kind = "") {
  $("status").textContent = message;
  $("status").className = `status ${kind}`;
}

async function next() {
  clearInterval(heartbeat);
  const data = await api(config.claimUrl, { method: "POST" });
  task = data;
  $("task").hidden = !data;
  $("empty").hidden = !!data;
  if (!data) return say(gettext("Nothing is waiting for review right now."));
  openedAt = performance.now();
  $("task-title").textContent = interpolate(gettext("Clip %s · %s"), [data.recording, data.campaign]);
  $("labeler").textContent = data.labeler || "";
  textarea.value = data.submitted?.text || "";
  $("comment").value = "";
  renderDiff($("diff"), data.asr?.text || "", textarea.value);
  $("prompt").hidden = !data.prompt_text;
  $("prompt-text").textContent = data.prompt_text || "";
  $("history-link").href = url(config.historyPage, data.recording);
  checker.convention = data.convention;
  checker.check();
  player.load({ audioUrl: data.audio_url, peaksUrl: data.peaks_url, duration: data.duration_seconds, segments: data.asr?.segments });
  heartbeat = setInterval(() => api(url(config.leaseUrl, data.id), { method: "POST" }).catch(() => {}), config.heartbeatSeconds * 1000);
  say("");
  textarea.focus();
}

async function decide(decision) {
  if (!task || busy) return;
  if (decision === "return" && !$("comment").value.trim()) {
    $("comment").focus();
    return say(gettext("Write a comment for the labeler before returning the clip."), "error");
  }
  busy = true;
  const body = {
    decision,
    text: textarea.value,
    comment: $("comment").value,
    base_revision: task.base_revision,
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

textarea.addEventListener("input", () => renderDiff($("diff"), task?.asr?.text || "", textarea.value));
$("approve").addEventListener("click", () => decide("approve"));
$("return").addEventListener("click", () => decide("return"));
$("play").addEventListener("click", () => player.togglePlay());
bindShortcuts({ player, submit: () => decide("approve"), skip: null, extra: { KeyR: () => decide("return") } });
outbox.flush().finally(() => next().catch((error) => say(error.message, "error")));
