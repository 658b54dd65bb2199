// The speaker's recorder: sign the consent, answer demographics, then read prompts aloud.
// Talks to /api/record/<token>/… (the invite token in the URL is the only credential).
// Quality warnings are computed here from the recorded samples before upload; they never block
// a submission, because the server's ingest makes the final call and flags or rejects the clip.

import { api, ApiError, gettext, interpolate } from "../shared/api.js";

// Levels as the server measures them (labelhub/recordings/audio.py), in dBFS.
const QUIET_RMS_DBFS = -40;
const CLIPPED_SAMPLE = 0.999;
const CLIPPED_RATIO = 0.001;
// Stop on our own a little after the longest allowed clip, so a forgotten take stays small.
const OVERRUN_SECONDS = 5;

const $ = (id) => document.getElementById(id);
let state = JSON.parse($("recorder-state").textContent);

function showError(error) {
  const box = $("error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = error instanceof ApiError ? error.message : gettext("The connection failed. Check your network and try again.");
  box.hidden = false;
}

// A refused signature names the field ("agree: …"); next to the button the sentence alone reads
// better, so take the first field's own message when the server sent them.
export function fieldMessage(error) {
  const fields = error?.body?.error?.fields;
  if (fields && typeof fields === "object" && !Array.isArray(fields)) {
    const first = Object.values(fields)[0];
    const text = Array.isArray(first) ? first[0] : first;
    if (typeof text === "string" && text) return text;
  }
  return error instanceof ApiError ? error.message : gettext("The connection failed. Check your network and try again.");
}

function showSignError(error) {
  const box = $("sign-error");
  box.textContent = error ? fieldMessage(error) : "";
  box.hidden = !error;
  if (error) {
    box.scrollIntoView({ block: "center", behavior: "smooth" });
    box.focus({ preventScroll: true });
  }
}

function render() {
  const { signed, withdrawn, progress, prompt } = state;
  const finished = signed && !prompt;
  $("consent-step").hidden = signed;
  $("record-step").hidden = !signed || finished || withdrawn;
  $("done-step").hidden = !finished || withdrawn;
  $("withdraw-info").hidden = !signed;
  if (state.urls.withdraw) {
    $("withdraw-link").href = state.urls.withdraw;
    $("withdraw-url").textContent = new URL(state.urls.withdraw, window.location.href).href;
  }
  $("progress").textContent = interpolate(
    gettext("%(done)s of %(total)s recorded"),
    { done: progress.done, total: progress.total },
    true,
  );
  $("prompt-text").textContent = prompt ? prompt.text : "";
}

// --- consent and demographics ------------------------------------------------------------------

function mayBeMinor() {
  const ageOfConsent = state.campaign.age_of_consent;
  const year = parseInt($("birth_year").value, 10);
  if (year) return new Date().getFullYear() - year - 1 < ageOfConsent;
  const band = $("age_band").value;
  return band ? parseInt(band, 10) < ageOfConsent : false;
}

function updateGuardian() {
  $("guardian").hidden = !mayBeMinor();
}

async function sign(event) {
  event.preventDefault();
  showSignError(null);
  const form = event.target;
  const value = (name) => form.elements[name].value.trim();
  const body = {
    document: parseInt(value("document"), 10),
    agree: form.elements.agree.checked,
    signed_name: value("signed_name"),
    birth_year: value("birth_year") ? parseInt(value("birth_year"), 10) : null,
    age_band: value("age_band"),
    gender: value("gender"),
    region: value("region"),
    dialect: value("dialect"),
    native_language: value("native_language"),
    guardian_agree: form.elements.guardian_agree.checked,
    guardian_name: value("guardian_name"),
  };
  $("sign").disabled = true;
  try {
    state = await api(state.urls.consent, { method: "POST", body });
    render();
  } catch (error) {
    showSignError(error);
  } finally {
    $("sign").disabled = false;
  }
}

// --- recording ---------------------------------------------------------------------------------

const recorder = { stream: null, context: null, analyser: null, media: null, chunks: [], blob: null, started: 0, frame: 0 };

async function microphone() {
  if (recorder.stream) return recorder.stream;
  recorder.stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  recorder.context = new AudioContext();
  recorder.analyser = recorder.context.createAnalyser();
  recorder.analyser.fftSize = 2048;
  recorder.context.createMediaStreamSource(recorder.stream).connect(recorder.analyser);
  return recorder.stream;
}

function meter() {
  const samples = new Float32Array(recorder.analyser.fftSize);
  recorder.analyser.getFloatTimeDomainData(samples);
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  // RMS on a log scale: -60 dBFS reads empty, 0 dBFS full.
  const dbfs = 10 * Math.log10(sum / samples.length || 1e-12);
  $("level").value = Math.max(0, Math.min(1, (dbfs + 60) / 60));
  const seconds = (performance.now() - recorder.started) / 1000;
  $("timer").textContent = `${seconds.toFixed(1)} s`;
  if (seconds > state.campaign.max_seconds + OVERRUN_SECONDS) stop();
  recorder.frame = requestAnimationFrame(meter);
}

function mimeType() {
  for (const type of ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus"]) {
    if (window.MediaRecorder && MediaRecorder.isTypeSupported(type)) return type;
  }
  return "";
}

async function record() {
  showError(null);
  $("warnings").replaceChildren();
  $("status").textContent = "";
  try {
    await microphone();
  } catch (error) {
    $("status").textContent = gettext("The microphone could not be opened. Allow microphone access and try again.");
    return;
  }
  await recorder.context.resume();
  const type = mimeType();
  recorder.media = new MediaRecorder(recorder.stream, type ? { mimeType: type } : {});
  recorder.chunks = [];
  recorder.media.ondataavailable = (event) => event.data.size && recorder.chunks.push(event.data);
  recorder.media.onstop = () => recorded(new Blob(recorder.chunks, { type: recorder.media.mimeType || type }));
  recorder.media.start();
  recorder.started = performance.now();
  recorder.frame = requestAnimationFrame(meter);
  $("record").disabled = true;
  $("rerecord").hidden = true;
  $("submit").hidden = true;
  $("stop").disabled = false;
  $("playback").hidden = true;
  $("status").textContent = gettext("Recording… read the sentence, then press Stop.");
}

function stop() {
  if (!recorder.media || recorder.media.state !== "recording") return;
  cancelAnimationFrame(recorder.frame);
  recorder.media.stop();
  $("stop").disabled = true;
  $("level").value = 0;
}

export function qualityWarnings({ duration, rmsDbfs, clippedRatio }, campaign) {
  const warnings = [];
  if (duration < campaign.min_seconds) {
    warnings.push(interpolate(gettext("Too short: %(seconds)s s (at least %(min)s s)."), { seconds: duration.toFixed(1), min: campaign.min_seconds }, true));
  }
  if (duration > campaign.max_seconds) {
    warnings.push(interpolate(gettext("Too long: %(seconds)s s (at most %(max)s s)."), { seconds: duration.toFixed(1), max: campaign.max_seconds }, true));
  }
  if (rmsDbfs < QUIET_RMS_DBFS) warnings.push(gettext("Too quiet: move closer to the microphone or speak up."));
  if (clippedRatio >= CLIPPED_RATIO) warnings.push(gettext("Clipped: the sound is distorted. Move back from the microphone or speak more softly."));
  return warnings;
}

async function measure(blob) {
  const buffer = await recorder.context.decodeAudioData(await blob.arrayBuffer());
  let sum = 0;
  let clipped = 0;
  let count = 0;
  for (let channel = 0; channel < buffer.numberOfChannels; channel += 1) {
    for (const sample of buffer.getChannelData(channel)) {
      sum += sample * sample;
      if (Math.abs(sample) >= CLIPPED_SAMPLE) clipped += 1;
    }
    count += buffer.length;
  }
  const rms = Math.sqrt(sum / (count || 1));
  return { duration: buffer.duration, rmsDbfs: rms > 0 ? 20 * Math.log10(rms) : -Infinity, clippedRatio: clipped / (count || 1) };
}

async function recorded(blob) {
  recorder.blob = blob;
  const playback = $("playback");
  if (playback.src) URL.revokeObjectURL(playback.src);
  playback.src = URL.createObjectURL(blob);
  playback.hidden = false;
  $("record").disabled = false;
  $("record").hidden = true;
  $("rerecord").hidden = false;
  $("submit").hidden = false;
  $("status").textContent = gettext("Listen to your recording, then submit it or record again.");
  let warnings;
  try {
    warnings = qualityWarnings(await measure(blob), state.campaign);
  } catch (error) {
    warnings = [gettext("This recording could not be checked in the browser; the server will check it.")];
  }
  $("warnings").replaceChildren(
    ...warnings.map((text) => Object.assign(document.createElement("li"), { textContent: text })),
  );
}

async function submit() {
  if (!recorder.blob) return;
  showError(null);
  const form = new FormData();
  const suffix = recorder.blob.type.includes("ogg") ? "ogg" : "webm";
  form.append("file", recorder.blob, `take.${suffix}`);
  if (state.prompt) form.append("prompt", String(state.prompt.id));
  $("submit").disabled = true;
  $("status").textContent = gettext("Uploading…");
  try {
    const result = await api(state.urls.recordings, { method: "POST", body: form });
    state = result.state;
    recorder.blob = null;
    $("playback").hidden = true;
    $("warnings").replaceChildren();
    $("record").hidden = false;
    $("rerecord").hidden = true;
    $("submit").hidden = true;
    $("status").textContent = gettext("Thank you, your recording was received.");
    render();
  } catch (error) {
    $("status").textContent = "";
    showError(error);
  } finally {
    $("submit").disabled = false;
  }
}

function start() {
  const form = $("consent-form");
  if (form) {
    form.addEventListener("submit", sign);
    $("birth_year").addEventListener("input", updateGuardian);
    $("age_band").addEventListener("change", updateGuardian);
  }
  $("record").addEventListener("click", record);
  $("rerecord").addEventListener("click", record);
  $("stop").addEventListener("click", stop);
  $("submit").addEventListener("click", submit);
  render();
}

start();
