// The spectrogram under the waveform. wavesurfer's spectrogram plugins compute it from decoded
// audio, which a 2-hour source never has in this page (media-element backend, peaks only), so
// the server draws the visible window as a PNG (/api/recordings/<id>/spectrogram/?start&end&width
// &height, from a ranged read of the normalised WAV) and the page asks again, debounced, after
// each scroll or zoom.

const DEBOUNCE_MS = 150;

export class WindowSpectrogram {
  constructor(img, visibleWindow) {
    this.img = img;
    this.visibleWindow = visibleWindow;
    this.url = null;
    this.timer = null;
    this.shown = "";
    img.addEventListener("load", () => img.classList.remove("stale"));
    img.addEventListener("error", () => {
      img.hidden = true; // no spectrogram for this audio (e.g. a clip): the waveform is enough
    });
  }

  setUrl(url) {
    this.url = url;
    this.shown = "";
    this.img.hidden = !url;
    this.refresh();
  }

  refresh() {
    if (!this.url) return;
    clearTimeout(this.timer);
    this.img.classList.add("stale");
    this.timer = setTimeout(() => this.draw(), DEBOUNCE_MS);
  }

  draw() {
    const { start, end, width } = this.visibleWindow();
    if (!(end > start) || !width) return;
    const height = this.img.clientHeight || 96;
    const query = new URLSearchParams({
      start: start.toFixed(3),
      end: end.toFixed(3),
      width: String(Math.min(4096, Math.round(width))),
      height: String(Math.round(height)),
    });
    const src = `${this.url}${this.url.includes("?") ? "&" : "?"}${query}`;
    if (src === this.shown) return this.img.classList.remove("stale");
    this.shown = src;
    this.img.src = src;
  }
}
