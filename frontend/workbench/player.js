// The audio side of the workbench: an <audio> element streaming the clip with HTTP Range, and a
// canvas waveform drawn from precomputed peaks (never from decoded audio), so a 30-minute clip
// opens as fast as a 10-second one. The cursor follows audio.currentTime on every frame, so
// waveform, cursor and sound cannot drift apart.

export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];
const LOW_CONFIDENCE = 0.6;

export class Player {
  constructor({ audio, canvas, regionsBox, wordsBox, speedLabel, loopLabel }) {
    this.audio = audio;
    this.canvas = canvas;
    this.regionsBox = regionsBox;
    this.wordsBox = wordsBox;
    this.speedLabel = speedLabel;
    this.loopLabel = loopLabel;
    this.peaks = null;
    this.segments = [];
    this.words = [];
    this.loop = null;
    this.duration = 0;
    canvas.addEventListener("click", (event) => this.seekToClick(event));
    audio.addEventListener("timeupdate", () => this.enforceLoop());
    audio.addEventListener("loadedmetadata", () => {
      this.duration = audio.duration || this.duration;
      this.draw();
    });
    const frame = () => {
      this.draw();
      this.highlightWord();
      this.enforceLoop();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  // Loads a clip: the audio element fetches only metadata until played; peaks come as JSON.
  async load({ audioUrl, peaksUrl, duration, segments }) {
    this.loop = null;
    this.showLoop();
    this.duration = duration || 0;
    this.segments = segments || [];
    this.words = this.segments.flatMap((segment) => segment.words || []);
    this.audio.src = audioUrl;
    this.audio.playbackRate = 1;
    this.showSpeed();
    this.renderRegions();
    this.renderWords();
    this.peaks = null;
    const response = await fetch(peaksUrl, { credentials: "same-origin" });
    if (response.ok) {
      this.peaks = await response.json();
      this.duration = this.duration || this.peaks.duration;
    }
    this.draw();
    return this.peaks;
  }

  togglePlay() {
    if (this.audio.paused) return this.audio.play();
    this.audio.pause();
  }

  seek(seconds) {
    const end = this.audio.duration || this.duration || 0;
    this.audio.currentTime = Math.max(0, Math.min(end, seconds));
    this.draw();
  }

  skip(delta) {
    this.seek(this.audio.currentTime + delta);
  }

  changeSpeed(step) {
    const index = SPEEDS.indexOf(this.audio.playbackRate);
    const next = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, (index < 0 ? 2 : index) + step))];
    this.audio.playbackRate = next;
    this.showSpeed();
  }

  showSpeed() {
    if (this.speedLabel) this.speedLabel.textContent = `${this.audio.playbackRate}×`;
  }

  // Loops the segment under the cursor (or clears the loop when one is set).
  toggleLoop(segment) {
    if (this.loop && !segment) {
      this.loop = null;
    } else {
      const now = this.audio.currentTime;
      this.loop = segment || this.segments.find((s) => s.start <= now && now < s.end) || null;
      if (this.loop) this.seek(this.loop.start);
    }
    this.showLoop();
  }

  showLoop() {
    if (!this.loopLabel) return;
    this.loopLabel.textContent = this.loop ? `${this.loop.start.toFixed(1)}–${this.loop.end.toFixed(1)} s` : "—";
    for (const button of this.regionsBox?.querySelectorAll("button") || []) {
      button.classList.toggle("looping", this.loop === this.segments[Number(button.dataset.index)]);
    }
  }

  enforceLoop() {
    if (this.loop && this.audio.currentTime >= this.loop.end) this.audio.currentTime = this.loop.start;
  }

  seekToClick(event) {
    const box = this.canvas.getBoundingClientRect();
    const total = this.audio.duration || this.duration;
    if (!total) return;
    this.seek(((event.clientX - box.left) / box.width) * total);
  }

  renderRegions() {
    if (!this.regionsBox) return;
    this.regionsBox.replaceChildren(
      ...this.segments.map((segment, index) => {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.index = index;
        button.textContent = `${segment.start.toFixed(1)}–${segment.end.toFixed(1)}`;
        button.title = segment.text;
        button.addEventListener("click", (event) => (event.shiftKey ? this.toggleLoop(segment) : this.seek(segment.start)));
        return button;
      }),
    );
  }

  renderWords() {
    if (!this.wordsBox) return;
    this.wordsBox.replaceChildren(
      ...this.words.map((word, index) => {
        const span = document.createElement("span");
        span.textContent = word.text;
        span.dataset.index = index;
        if (word.probability !== undefined && word.probability < LOW_CONFIDENCE) {
          span.classList.add("low");
          span.title = `${Math.round(word.probability * 100)}%`;
        }
        span.addEventListener("click", () => this.seek(word.start));
        return span;
      }),
    );
  }

  highlightWord() {
    if (!this.wordsBox || !this.words.length) return;
    const now = this.audio.currentTime;
    const index = this.words.findIndex((word) => word.start <= now && now < word.end);
    if (index === this.currentWord) return;
    this.wordsBox.querySelector("span.current")?.classList.remove("current");
    if (index >= 0) this.wordsBox.children[index]?.classList.add("current");
    this.currentWord = index;
  }

  draw() {
    const canvas = this.canvas;
    const width = canvas.clientWidth || 800;
    const height = canvas.clientHeight || 120;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const total = this.audio.duration || this.duration;
    if (total) {
      context.fillStyle = "rgba(64, 120, 200, 0.12)";
      for (const segment of this.segments) {
        context.fillRect((segment.start / total) * width, 0, ((segment.end - segment.start) / total) * width, height);
      }
      if (this.loop) {
        context.fillStyle = "rgba(230, 150, 30, 0.25)";
        context.fillRect((this.loop.start / total) * width, 0, ((this.loop.end - this.loop.start) / total) * width, height);
      }
    }
    if (this.peaks) context.drawImage(this.waveImage(width, height, ratio), 0, 0, width, height);
    if (total) {
      const x = (this.audio.currentTime / total) * width;
      context.fillStyle = "#c1121f";
      context.fillRect(x - 1, 0, 2, height);
    }
  }

  // The waveform is drawn once per size into an offscreen canvas; each frame only copies it.
  waveImage(width, height, ratio) {
    const key = `${width}x${height}@${ratio}`;
    if (this.cache?.key === key && this.cache.peaks === this.peaks) return this.cache.image;
    const image = document.createElement("canvas");
    image.width = Math.round(width * ratio);
    image.height = Math.round(height * ratio);
    const context = image.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.drawPeaks(context, width, height);
    this.cache = { key, peaks: this.peaks, image };
    return image;
  }

  // One column per pixel: the min and max of every peak pair that falls into it.
  drawPeaks(context, width, height) {
    const { data, scale } = this.peaks;
    const pairs = data.length / 2;
    const middle = height / 2;
    context.fillStyle = "#1d2330";
    for (let x = 0; x < width; x++) {
      const from = Math.floor((x / width) * pairs);
      const to = Math.max(from + 1, Math.floor(((x + 1) / width) * pairs));
      let low = 0;
      let high = 0;
      for (let i = from; i < to && i < pairs; i++) {
        if (data[2 * i] < low) low = data[2 * i];
        if (data[2 * i + 1] > high) high = data[2 * i + 1];
      }
      const top = middle - (high / scale) * middle;
      const bottom = middle - (low / scale) * middle;
      context.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
  }
}
