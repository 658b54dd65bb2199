// The start-up the labeler's workbench and the reviewer's page share: the page's config, the
// player over the waveform, the convention checker on the transcript, the status line and the
// retry queue that says when saves wait offline.

import { gettext, interpolate } from "../shared/api.js";
import { ConventionChecker } from "./checker.js";
import { Outbox } from "./outbox.js";
import { Player } from "./player.js";

export const $ = (id) => document.getElementById(id);
export const url = (template, id) => template.replace("{id}", id);

export function startPage() {
  const config = JSON.parse($("workbench-config").textContent);
  const textarea = $("transcript");
  const statusLine = $("status");
  const player = new Player({
    container: $("waveform"),
    minimap: $("minimap"),
    ruler: $("ruler"),
    audio: $("audio"),
    spectrogram: $("spectrogram"),
    wordsBox: $("words"),
    labels: { speed: $("speed"), loop: $("loop"), gain: $("gain"), zoom: $("zoom") },
    nonce: config.styleNonce,
  });
  window.workbenchPlayer = player; // for the browser tests and the long-form benchmark
  const checker = new ConventionChecker({
    textarea,
    list: $("issues"),
    preview: $("issue-preview"),
    url: config.checkUrl,
  });
  function say(message, kind = "") {
    statusLine.textContent = message;
    statusLine.className = `status ${kind}`;
  }
  const outbox = new Outbox({
    onQueued: (count) =>
      say(interpolate(gettext("Offline: %s save(s) kept in this browser, retrying…"), [count]), "warn"),
  });
  return { config, textarea, player, checker, outbox, say };
}
