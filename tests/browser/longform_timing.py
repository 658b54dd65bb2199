"""How fast the workbench opens and zooms, measured in a real (headless) Chromium page.

One function for the browser tests and benchmarks/longform.py alike. The page records
`window.workbenchTimings` (performance.now() milliseconds after navigation start) and exposes
its wavesurfer player as `window.workbenchPlayer`.

- open: navigation start → the audio element can play AND the waveform is drawn from the peaks,
  whichever is later ("audio ready").
- zoom frame: requestAnimationFrame deltas while the page zooms from the whole file down to 1 s
  one step per frame (the code Alt+= runs) and back out; the worst and the median delta.
"""

from __future__ import annotations

import statistics

READY = (
    "() => { const t = window.workbenchTimings || {};"
    " return t.peaksDrawn !== undefined && t.audioCanPlay !== undefined; }"
)

# Zooms in from the whole file to the 1 s view, then back out, one step per animation frame,
# and returns the frame-to-frame deltas (ms). A frame that the zoom's drawing delays shows here.
ZOOM_FRAMES = """async ({ steps }) => {
  const player = window.workbenchPlayer;
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  player.zoomWhole();
  await nextFrame();
  await nextFrame();
  const seconds = () => { const view = player.visibleWindow(); return view.end - view.start; };
  const widest = seconds();
  let narrowest = widest;
  const deltas = [];
  let last = await nextFrame();
  for (let i = 0; i < 2 * steps; i++) {
    if (i < steps) player.zoomIn(); else player.zoomOut();
    const now = await nextFrame();
    deltas.push(now - last);
    last = now;
    narrowest = Math.min(narrowest, seconds());
  }
  return { deltas, widest, narrowest };
}"""

# From the whole file to 1 s in steps of 2x: log2(7200 s) < 13, so 14 steps reach 1 s for 2 h.
ZOOM_STEPS = 14


def measure_workbench(
    page: object, base_url: str, *, path: str = "/work/", timeout_ms: int = 60_000
) -> dict:
    """Opens the workbench (already signed in) and returns open and zoom timings in ms."""
    page.goto(base_url.rstrip("/") + path)
    page.wait_for_function(READY, timeout=timeout_ms)
    timings = page.evaluate("() => window.workbenchTimings")
    duration = page.evaluate("() => window.workbenchPlayer.duration")
    # Let the first render settle before zooming, as a labeler would look before zooming.
    page.wait_for_timeout(300)
    zoom = page.evaluate(ZOOM_FRAMES, {"steps": ZOOM_STEPS})
    deltas = zoom["deltas"]
    return {
        "duration_seconds": round(duration, 3),
        "open_ms": round(max(timings["peaksDrawn"], timings["audioCanPlay"]), 1),
        "peaks_drawn_ms": round(timings["peaksDrawn"], 1),
        "audio_canplay_ms": round(timings["audioCanPlay"], 1),
        "first_paint_ms": round(timings.get("firstPaint") or 0, 1),
        "zoom_frame_ms": round(max(deltas), 1),
        "zoom_frame_median_ms": round(statistics.median(deltas), 1),
        "zoom_frames": len(deltas),
        "zoom_widest_view_seconds": round(zoom["widest"], 1),
        "zoom_narrowest_view_seconds": round(zoom["narrowest"], 3),
    }
