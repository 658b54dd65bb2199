// The audio side of the workbench and review pages, on wavesurfer.js (npm, served from
// /static/vendor/): the page's own <audio> element is wavesurfer's media-element backend, so
// audio streams with HTTP Range and is never decoded whole; the waveform is drawn from the peaks
// computed at ingest. A 2-hour source opens as fast as a 10-second clip. Regions, zoom (wheel and
// keys) and minimap are wavesurfer's plugins; the time ruler is ours (ruler.js says why); gain
// is a Web Audio GainNode on the element; the spectrogram is the server's PNG of the visible
// window (spectrogram.js).

import WaveSurfer from "../vendor/wavesurfer/wavesurfer.esm.js";
import MinimapPlugin from "../vendor/wavesurfer/plugins/minimap.esm.js";
import RegionsPlugin from "../vendor/wavesurfer/plugins/regions.esm.js";
import ZoomPlugin from "../vendor/wavesurfer/plugins/zoom.esm.js";
import { TimeRuler } from "./ruler.js";
import { WindowSpectrogram } from "./spectrogram.js";
import { DraftWords } from "./words.js";

export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];
export const GAINS = [0.25, 0.5, 1, 1.5, 2, 3, 4];
const ZOOM_STEP = 2;
const SHORTEST_VIEW_SECONDS = 1; // the "down to 1 s"

export class Player {
  constructor({ container, minimap, ruler, audio, spectrogram, wordsBox, labels = {}, nonce = "" }) {
    this.audio = audio;
    this.container = container;
    this.labels = labels;
    this.loop = null;
    this.span = null;
    this.gainNode = null;
    this.gain = 1;
    this.regions = RegionsPlugin.create();
    this.words = new DraftWords(wordsBox, (seconds) => this.seek(seconds));
    this.ws = WaveSurfer.create({
      container,
      media: audio,
      height: 110,
      waveColor: "#1d2330",
      progressColor: "#3c4e74",
      cursorColor: "#c1121f",
      cursorWidth: 2,
      normalize: false,
      autoScroll: true,
      autoCenter: true,
      cspNonce: nonce,
      renderFunction: drawColumns,
      plugins: [
        this.regions,
        MinimapPlugin.create({
          container: minimap,
          height: 28,
          waveColor: "#8a94a8",
          progressColor: "#3c4e74",
          cspNonce: nonce,
          renderFunction: drawColumns,
        }),
        // Wheel zoom; its upper bound is set per load so that 1 s can fill the view.
        ZoomPlugin.create({ scale: 0.25, exponentialZooming: true, iterations: 24, maxZoom: 1000 }),
      ],
    });
    this.zoomPlugin = this.ws.getActivePlugins().find((plugin) => plugin instanceof ZoomPlugin);
    this.ruler = ruler ? new TimeRuler(ruler, () => this.visibleWindow()) : null;
    this.spectrogram = spectrogram ? new WindowSpectrogram(spectrogram, () => this.visibleWindow()) : null;
    this.ws.on("timeupdate", (seconds) => this.onTime(seconds));
    this.ws.on("zoom", () => this.onView());
    this.ws.on("scroll", () => this.onView());
    this.ws.on("redraw", () => this.onView());
  }

  // Loads audio + peaks; resolves when the waveform is drawn. `span` limits playback to a part.
  async load({ audioUrl, peaksUrl, duration, spectrogramUrl = null, span = null }) {
    this.loop = null;
    this.span = span;
    this.audio.playbackRate = 1;
    this.regions.clearRegions();
    this.showSpeed();
    this.showLoop();
    // The audio's first bytes and the peaks load side by side (wavesurfer keeps this src).
    this.audio.src = audioUrl;
    const response = await fetch(peaksUrl, { credentials: "same-origin" });
    const peaks = response.ok ? await response.json() : null;
    this.duration = duration || peaks?.duration || 0;
    await this.ws.load(this.audio.src, [peaksChannel(peaks)], this.duration);
    if (this.zoomPlugin) this.zoomPlugin.options.maxZoom = this.maxPxPerSec();
    this.spectrogram?.setUrl(spectrogramUrl);
    if (span) {
      this.zoomTo(span.start, span.end);
      this.seek(span.start);
    } else {
      this.zoomWhole();
    }
    return peaks;
  }

  get currentTime() {
    return this.audio.currentTime;
  }

  togglePlay() {
    if (!this.audio.paused) return this.audio.pause();
    if (this.span && !this.loop && this.audio.currentTime >= this.span.end - 0.05) this.seek(this.span.start);
    this.connectGain();
    return this.audio.play();
  }

  play() {
    this.connectGain();
    return this.audio.play();
  }

  pause() {
    this.audio.pause();
  }

  seek(seconds) {
    const low = this.span ? this.span.start : 0;
    const high = this.span ? this.span.end : this.duration || this.audio.duration || 0;
    this.ws.setTime(Math.max(low, Math.min(high, seconds)));
  }

  skip(delta) {
    this.seek(this.audio.currentTime + delta);
  }

  changeSpeed(step) {
    const index = SPEEDS.indexOf(this.audio.playbackRate);
    this.audio.playbackRate = SPEEDS[clampIndex((index < 0 ? 2 : index) + step, SPEEDS)];
    this.showSpeed();
  }

  showSpeed() {
    if (this.labels.speed) this.labels.speed.textContent = `${this.audio.playbackRate}×`;
  }

  // Gain above 1 needs Web Audio (an element's volume stops at 1). The graph is built on the
  // first use, from a key press or click, because an AudioContext may only start after one.
  connectGain() {
    if (this.gainNode || this.gain === 1 || !window.AudioContext) return;
    const context = new AudioContext();
    this.gainNode = context.createGain();
    context.createMediaElementSource(this.audio).connect(this.gainNode).connect(context.destination);
    this.gainNode.gain.value = this.gain;
    context.resume();
  }

  changeGain(step) {
    this.setGain(GAINS[clampIndex(GAINS.indexOf(this.gain) + step, GAINS)]);
  }

  setGain(value) {
    this.gain = value;
    this.connectGain();
    if (this.gainNode) this.gainNode.gain.value = value;
    if (this.labels.gain) this.labels.gain.textContent = `${value}×`;
  }

  // Zoom: whole file (px/s that fits the view) up to 1 s filling the view.
  fitPxPerSec() {
    return this.ws.getWidth() / Math.max(this.duration || 1, 0.001);
  }

  maxPxPerSec() {
    return Math.max(this.ws.getWidth() / SHORTEST_VIEW_SECONDS, this.fitPxPerSec());
  }

  pxPerSec() {
    return Math.max(this.ws.options.minPxPerSec || 0, this.fitPxPerSec());
  }

  setZoom(pxPerSec, centre = this.audio.currentTime) {
    const value = Math.max(this.fitPxPerSec(), Math.min(this.maxPxPerSec(), pxPerSec));
    this.ws.zoom(value <= this.fitPxPerSec() * 1.0001 ? 0 : value);
    const visible = this.ws.getWidth() / this.pxPerSec();
    this.ws.setScrollTime(Math.max(0, centre - visible / 2));
  }

  zoomBy(factor) {
    this.setZoom(this.pxPerSec() * factor);
  }

  zoomIn() {
    this.zoomBy(ZOOM_STEP);
  }

  zoomOut() {
    this.zoomBy(1 / ZOOM_STEP);
  }

  zoomWhole() {
    this.setZoom(0, 0);
  }

  // Shows [start, end] with a little margin either side.
  zoomTo(start, end) {
    const seconds = Math.max(end - start, SHORTEST_VIEW_SECONDS) * 1.2;
    this.setZoom(this.ws.getWidth() / seconds, (start + end) / 2);
  }

  visibleWindow() {
    const pxPerSec = this.pxPerSec();
    const start = this.ws.getScroll() / pxPerSec;
    const end = Math.min(this.duration, start + this.ws.getWidth() / pxPerSec);
    return { start, end, width: this.ws.getWidth() };
  }

  onView() {
    this.ruler?.refresh();
    this.spectrogram?.refresh();
    if (this.labels.zoom) {
      const { start, end } = this.visibleWindow();
      this.labels.zoom.textContent = formatSeconds(Math.max(end - start, 0));
    }
  }

  // Loops `segment` ({start, end}), the span, or clears the loop when one is set.
  toggleLoop(segment = null) {
    if (this.loop && !segment) {
      this.loop = null;
    } else {
      this.loop = segment || this.span || this.loopCandidate?.(this.audio.currentTime) || null;
      if (this.loop) this.seek(this.loop.start);
    }
    this.showLoop();
  }

  showLoop() {
    if (this.labels.loop) this.labels.loop.textContent = this.loop ? `${this.loop.start.toFixed(1)}–${this.loop.end.toFixed(1)} s` : "—";
    this.onLoopChange?.(this.loop);
  }

  // Plays [start, end) once (or looped when a loop is set on it).
  playRange(start, end) {
    this.stopAt = end;
    this.seek(start);
    this.play();
  }

  onTime(seconds) {
    if (this.loop && seconds >= this.loop.end) {
      this.ws.setTime(this.loop.start);
      return;
    }
    const stop = this.stopAt ?? this.span?.end;
    if (stop !== undefined && stop !== null && seconds >= stop && !this.audio.paused) {
      this.audio.pause();
      this.stopAt = null;
    }
    this.words.highlight(seconds);
    this.onTimeUpdate?.(seconds);
  }
}

// The peaks JSON's flat [min0, max0, min1, max1, ...] (-scale..scale) as one -1..1 channel.
function peaksChannel(peaks) {
  if (!peaks) return new Float32Array(2);
  const { data, scale } = peaks;
  const channel = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) channel[i] = data[i] / scale;
  return channel;
}

// wavesurfer's renderFunction: one column per device pixel from the min and max of the values
// that fall into it. Its default line renderer strokes every value (1.44 million for 2 hours
// of 10 ms peaks), which made a whole-file zoom step take 100-600 ms; this loop is one pass
// over the values and at most one fillRect per column.
function drawColumns(channels, context) {
  const data = channels[0];
  const { width, height } = context.canvas;
  const count = data?.length || 0;
  if (!count || !width) return;
  const middle = height / 2;
  const perColumn = count / width;
  for (let x = 0; x < width; x++) {
    const from = Math.floor(x * perColumn);
    // At least two values (a min and a max) per column, whatever the slice's first index.
    const to = Math.min(count, Math.max(from + 2, Math.floor((x + 1) * perColumn)));
    let low = 0;
    let high = 0;
    for (let i = from; i < to; i++) {
      const value = data[i];
      if (value < low) low = value;
      else if (value > high) high = value;
    }
    const top = middle - high * middle;
    context.fillRect(x, top, 1, Math.max(1, (high - low) * middle));
  }
}

function clampIndex(index, list) {
  return Math.max(0, Math.min(list.length - 1, index));
}

export function formatSeconds(seconds) {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
