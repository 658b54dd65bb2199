// The time ruler under the waveform, drawn on one canvas for the visible window only.
// wavesurfer's timeline plugin builds a DOM element for every tick of the whole file (for a
// 2-hour source at the 1 s view, tens of thousands) and measured 50-120 ms per zoom step in
// headless Chromium; this redraws at most a few dozen ticks per frame.

const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const LABEL_PX = 70; // labels at least this far apart

export class TimeRuler {
  constructor(canvas, visibleWindow) {
    this.canvas = canvas;
    this.visibleWindow = visibleWindow;
    this.pending = false;
  }

  refresh() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const { start, end } = this.visibleWindow();
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight || 18;
    const ratio = window.devicePixelRatio || 1;
    if (!width || !(end > start)) return;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    const context = this.canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const pxPerSec = width / (end - start);
    const step = STEPS.find((s) => s * pxPerSec >= LABEL_PX) || STEPS[STEPS.length - 1];
    context.fillStyle = "#5a6375";
    context.font = "11px system-ui, sans-serif";
    context.textBaseline = "top";
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
      const x = Math.round((t - start) * pxPerSec) + 0.5;
      context.fillRect(x, 0, 1, 6);
      context.fillText(label(t, step), x + 3, 5);
    }
  }
}

function label(seconds, step) {
  const whole = Math.floor(seconds + 1e-6);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = seconds - h * 3600 - m * 60;
  const secs = step < 1 ? s.toFixed(1).padStart(4, "0") : String(Math.round(s)).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${secs}` : `${m}:${secs}`;
}
