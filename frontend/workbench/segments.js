// Segment mode of the workbench: a long-form source with all its segments as regions, the
// active segment's text in the one text box. A claim leases a run of segments of one source;
// the labeler corrects, re-cuts (drag, split, merge, add, delete) and labels the speaker of each,
// and submits them one by one (Ctrl+Enter moves to the next held one; after the last, the next
// claim). Text saves go through the outbox (queued, retried); cuts are versioned, and a stale
// one (409 stale_segment) shows the segment as it now is. API: /work/briefs/contract.md.

import { api, ApiError, gettext, interpolate } from "../shared/api.js";
import { formatSeconds } from "./player.js";
import { SegmentCuts } from "./segment_cuts.js";

const $ = (id) => document.getElementById(id);
const fill = (template, id) => template.replace("{id}", id);
const PALETTE = ["64, 120, 200", "214, 96, 77", "46, 160, 110", "170, 110, 200", "220, 170, 40", "90, 170, 190"];
const VIEW_SECONDS = 40; // how much of the source the page shows around the active segment

export class SegmentMode {
  constructor({ config, player, textarea, outbox, checker, say, claimNext, showConflict }) {
    Object.assign(this, { config, player, textarea, outbox, checker, say, claimNext, showConflict });
    this.active = false;
    this.segments = [];
    this.current = null;
    this.activeSince = 0;
    this.worked = new Map();
    const cuts = (this.cuts = new SegmentCuts(this));
    player.regions.on("region-updated", (region) => this.active && cuts.regionMoved(region));
    player.regions.on("region-clicked", (region, event) => {
      if (!this.active) return;
      event.stopPropagation();
      this.select(Number(region.id), { seek: true });
    });
    $("segment-speaker").addEventListener("change", (event) => cuts.setSpeaker(Number(event.target.value)));
    const buttons = {
      "segment-prev": () => this.step(-1),
      "segment-next": () => this.step(1),
      "segment-play": () => this.playSegment(),
      "segment-split": () => cuts.split(),
      "segment-merge": () => cuts.mergeNext(),
      "segment-add": () => cuts.add(),
      "segment-delete": () => cuts.remove(),
    };
    for (const [id, action] of Object.entries(buttons)) $(id).addEventListener("click", action);
  }

  // Shortcuts that only act in segment mode (keys.js gives them priority).
  keys() {
    const cuts = this.cuts;
    const when = (action) => () => (this.active ? action() : undefined);
    const keys = {
      "Alt+KeyN": when(() => this.step(1)),
      "Alt+KeyP": when(() => this.step(-1)),
      "Alt+Enter": when(() => this.playSegment()),
      "Alt+KeyX": when(() => cuts.split()),
      "Alt+KeyM": when(() => cuts.mergeNext()),
      "Alt+KeyA": when(() => cuts.add()),
      "Alt+Delete": when(() => cuts.remove()),
      "Alt+BracketLeft": when(() => cuts.boundaryToCursor("start")),
      "Alt+BracketRight": when(() => cuts.boundaryToCursor("end")),
    };
    for (let n = 1; n <= 9; n++) keys[`Alt+Digit${n}`] = when(() => cuts.setSpeaker(this.source.speakers[n - 1]?.id));
    return keys;
  }

  async open(data) {
    this.active = true;
    this.task = data;
    this.source = data.source;
    this.fillSpeakers();
    this.player.loopCandidate = () => this.current;
    this.player.onTimeUpdate = (seconds) => this.follow(seconds);
    await this.player.load({
      audioUrl: this.source.audio_url,
      peaksUrl: this.source.peaks_url,
      duration: this.source.duration,
      spectrogramUrl: this.source.spectrogram_url,
    });
    const listed = await api(this.source.segments_url);
    this.segments = listed.segments;
    this.player.regions.clearRegions();
    for (const segment of this.segments) this.drawRegion(segment);
    const first = this.segments.find((s) => s.task_id === data.id) || this.nextHeld(-1);
    this.select(first?.id, { seek: true, view: true });
  }

  close() {
    this.active = false;
    this.current = null;
    this.player.onTimeUpdate = null;
  }

  fillSpeakers() {
    const select = $("segment-speaker");
    select.replaceChildren(
      ...this.source.speakers.map((speaker, index) => {
        const option = document.createElement("option");
        option.value = speaker.id;
        option.textContent = index < 9 ? `${speaker.code} (Alt+${index + 1})` : speaker.code;
        return option;
      }),
    );
  }

  byId(id) {
    return this.segments.find((segment) => segment.id === id) || null;
  }

  color(segment, active) {
    const index = Math.max(0, this.source.speakers.findIndex((s) => s.id === segment.speaker?.id));
    const alpha = active ? 0.38 : segment.editable ? 0.16 : 0.07;
    return `rgba(${PALETTE[index % PALETTE.length]}, ${alpha})`;
  }

  regionOptions(segment) {
    const active = segment.id === this.current?.id;
    return {
      start: segment.start,
      end: segment.end,
      color: this.color(segment, active),
      drag: false, // boundaries move; whole segments stay put (a drag would also shift the text)
      resize: segment.editable,
      content: segment.speaker?.code || "",
    };
  }

  drawRegion(segment) {
    const region = this.player.regions.addRegion({ id: String(segment.id), ...this.regionOptions(segment) });
    region.element.classList.add("segment-region");
    region.element.dataset.segment = segment.id;
  }

  region(segment) {
    return this.player.regions.getRegions().find((region) => region.id === String(segment.id));
  }

  redraw(segment) {
    const region = this.region(segment);
    if (region) region.setOptions(this.regionOptions(segment));
    else this.drawRegion(segment);
  }

  // Makes `id` the active segment: its text in the box, its speaker, its draft words.
  select(id, { seek = false, view = false } = {}) {
    const segment = this.byId(id);
    if (!segment) return this.renderList();
    if (this.current && this.current.id !== segment.id) {
      this.keepText();
      this.countWork();
      const previous = this.current;
      this.current = segment;
      this.redraw(previous);
    }
    this.current = segment;
    this.activeSince = performance.now();
    this.redraw(segment);
    const kept = this.keptText(segment);
    this.textarea.value = kept ?? (segment.text || segment.draft?.text || "");
    this.textarea.readOnly = !segment.editable;
    this.checker.check();
    $("segment-speaker").value = segment.speaker?.id ?? "";
    $("segment-speaker").disabled = !segment.editable;
    $("segment-title").textContent = interpolate(gettext("Segment %s–%s (%s)"), [
      segment.start.toFixed(2),
      segment.end.toFixed(2),
      formatSeconds(segment.end - segment.start),
    ]);
    $("segment-state").textContent = segment.editable ? gettext("yours to edit") : gettext("read only");
    $("low-confidence").hidden = !segment.draft?.low_confidence;
    this.player.words.set(segment.draft?.words);
    if (view) this.player.zoomTo(Math.max(0, segment.start - VIEW_SECONDS / 3), segment.start + (VIEW_SECONDS * 2) / 3);
    if (seek) this.player.seek(segment.start);
    if (this.player.loop) this.player.toggleLoop(segment);
    this.renderList();
    // Keyboard first: after any action the keys type into the active segment's text.
    if (segment.editable && document.activeElement !== $("segment-speaker")) this.textarea.focus({ preventScroll: true });
  }

  // While playing, the active segment (and its text) follow the cursor.
  follow(seconds) {
    if (this.player.audio.paused || !this.current) return;
    if (this.current.start <= seconds && seconds < this.current.end) return;
    const under = this.segments.find((s) => s.start <= seconds && seconds < s.end);
    if (under) this.select(under.id);
  }

  step(direction) {
    const index = this.segments.indexOf(this.current);
    const next = this.segments[index + direction];
    if (next) this.select(next.id, { seek: true, view: !this.inView(next) });
  }

  inView(segment) {
    const { start, end } = this.player.visibleWindow();
    return segment.start >= start && segment.end <= end;
  }

  playSegment() {
    if (this.current) this.player.playRange(this.current.start, this.current.end);
  }

  renderList() {
    const list = $("segment-list");
    list.replaceChildren(
      ...this.segments.map((segment) => {
        const item = document.createElement("li");
        item.dataset.segment = segment.id;
        item.classList.toggle("active", segment.id === this.current?.id);
        item.classList.toggle("readonly", !segment.editable);
        const text = this.keptText(segment) ?? segment.text ?? segment.draft?.text ?? "";
        item.textContent = `${segment.start.toFixed(1)}–${segment.end.toFixed(1)} · ${segment.speaker?.code || "?"} · ${text}`;
        item.addEventListener("click", () => this.select(segment.id, { seek: true }));
        return item;
      }),
    );
    list.querySelector("li.active")?.scrollIntoView({ block: "nearest" });
  }

  // What is typed is kept in this browser per segment until the server has it.
  textKey(segment) {
    return `labelhub:workbench:segment:${segment.id}`;
  }

  keepText() {
    if (!this.current?.editable) return;
    const kept = { text: this.textarea.value, base: this.current.base_revision_id };
    localStorage.setItem(this.textKey(this.current), JSON.stringify(kept));
  }

  keptText(segment) {
    try {
      const kept = JSON.parse(localStorage.getItem(this.textKey(segment)) || "null");
      return kept && kept.base === segment.base_revision_id ? kept.text : null;
    } catch {
      return null;
    }
  }

  countWork() {
    if (!this.current) return;
    const seconds = (performance.now() - this.activeSince) / 1000;
    this.worked.set(this.current.id, (this.worked.get(this.current.id) || 0) + seconds);
  }

  // Ctrl+Enter: saves the active segment's text, then moves to the next held one.
  async submit() {
    const segment = this.current;
    if (!segment || this.busy) return;
    if (!segment.editable) return this.say(gettext("This segment is not yours to edit."), "error");
    this.busy = true;
    this.keepText();
    this.countWork();
    this.activeSince = performance.now();
    const body = {
      text: this.textarea.value,
      base_revision: segment.base_revision_id,
      work_seconds: Math.round((this.worked.get(segment.id) || 0) * 10) / 10,
    };
    this.say(gettext("Saving…"));
    try {
      const revision = await this.outbox.send(fill(this.config.submitUrl, segment.task_id), body);
      localStorage.removeItem(this.textKey(segment));
      Object.assign(segment, { text: body.text, base_revision_id: revision?.id ?? segment.base_revision_id });
      Object.assign(segment, { task_status: "submitted", held_by_me: false, editable: false });
      this.say(gettext("Saved."), "ok");
      const next = this.nextHeld(this.segments.indexOf(segment));
      if (next) this.select(next.id, { seek: true, view: !this.inView(next) });
      else await this.claimNext();
    } catch (error) {
      this.fail(error);
    } finally {
      this.busy = false;
    }
  }

  // The next segment still held by this labeler after `index`, wrapping round.
  nextHeld(index) {
    const count = this.segments.length;
    for (let step = 1; step <= count; step++) {
      const segment = this.segments[(index + step + count) % count];
      if (segment.held_by_me && segment.editable) return segment;
    }
    return null;
  }

  heldTaskId() {
    const held = this.current?.held_by_me ? this.current : this.nextHeld(-1);
    return held?.task_id || null;
  }

  resolveConflict(keepMine, latestText, latestId) {
    if (!this.current) return;
    this.current.base_revision_id = latestId ? Number(latestId) : null;
    if (!keepMine) this.textarea.value = latestText;
    this.keepText();
    this.checker.check();
    this.say(keepMine ? gettext("Your text will be saved on top of the newer revision.") : gettext("The newer text is loaded."));
    this.textarea.focus();
  }

  replace(segment, fresh) {
    Object.assign(segment, fresh);
    this.redraw(segment);
  }

  fail(error, segment = this.current) {
    if (!(error instanceof ApiError)) return this.say(error.message || String(error), "error");
    const body = error.body?.error || {};
    if (error.code === "stale_segment" && body.current && segment) {
      this.replace(segment, body.current);
      if (segment === this.current) this.select(segment.id);
      $("segment-conflict").hidden = false;
      $("segment-conflict-text").textContent = interpolate(gettext("Now: %s–%s s, speaker %s, version %s."), [
        body.current.start.toFixed(2),
        body.current.end.toFixed(2),
        body.current.speaker?.code || "?",
        body.current.version,
      ]);
      return this.say(gettext("Someone changed this segment while you worked on it."), "error");
    }
    if (error.code === "stale_revision") return this.showConflict(body.latest);
    if (error.code === "convention_error") {
      this.checker.show(body.issues || []);
      return this.say(gettext("Fix the marked problems before submitting."), "error");
    }
    this.say(error.message || String(error), "error");
  }
}
