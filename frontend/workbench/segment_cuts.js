// The cuts of segment mode: boundaries, speaker, split, merge, add and delete. Each call sends
// the segment's version; the server's answer replaces the page's copy, and a refusal (stale,
// overlap, too short) puts the region back where the server has it. Edits go one at a time:
// each is sent once the one before is answered and applied, so it carries the version that
// answer gave (a speaker key pressed while a split was in flight was sent with the old version
// and refused as stale).

import { api, gettext, interpolate } from "../shared/api.js";

const $ = (id) => document.getElementById(id);
const fill = (template, id) => template.replace("{id}", id);
const ADD_SECONDS = 3; // a new segment's length when the gap allows it

export class SegmentCuts {
  constructor(mode) {
    this.mode = mode;
    this.last = Promise.resolve();
  }

  serial(edit) {
    const run = this.last.then(edit, edit);
    this.last = run.catch(() => {});
    return run;
  }

  async change(segment, url, body, method = "POST") {
    $("segment-conflict").hidden = true;
    try {
      return await api(url, { method, body: { version: segment.version, ...body } });
    } catch (error) {
      this.mode.fail(error, segment);
      return null;
    }
  }

  async regionMoved(region) {
    const segment = this.mode.byId(Number(region.id));
    if (!segment) return;
    const start = round(region.start);
    const end = round(region.end);
    if (start === segment.start && end === segment.end) return;
    await this.patch(segment, { start, end });
  }

  patch(segment, changes) {
    return this.serial(() => this.patchNow(segment, changes));
  }

  async patchNow(segment, changes) {
    const fresh = await this.change(segment, fill(this.mode.config.segmentUrl, segment.id), changes, "PATCH");
    if (fresh) {
      this.mode.replace(segment, fresh);
      if (segment === this.mode.current) this.mode.select(segment.id);
      this.mode.say(gettext("Segment saved."), "ok");
    } else {
      this.mode.redraw(segment); // back where the server has it
    }
    return fresh;
  }

  boundaryToCursor(side) {
    if (this.mode.current?.editable) this.patch(this.mode.current, { [side]: round(this.mode.player.currentTime) });
  }

  setSpeaker(speakerId) {
    if (!this.mode.current?.editable || !speakerId) return;
    $("segment-speaker").value = speakerId;
    this.patch(this.mode.current, { speaker: speakerId });
  }

  split() {
    return this.serial(() => this.splitNow());
  }

  async splitNow() {
    const segment = this.mode.current;
    if (!segment?.editable) return;
    const at = round(this.mode.player.currentTime);
    this.mode.keepText();
    const answer = await this.change(segment, `${fill(this.mode.config.segmentUrl, segment.id)}split/`, { at });
    if (!answer) return;
    this.mode.replace(segment, answer.left);
    this.mode.segments.splice(this.mode.segments.indexOf(segment) + 1, 0, answer.right);
    this.mode.drawRegion(answer.right);
    this.mode.select(segment.id);
    this.mode.say(interpolate(gettext("Split at %s s."), [at.toFixed(2)]), "ok");
  }

  mergeNext() {
    return this.serial(() => this.mergeNextNow());
  }

  async mergeNextNow() {
    const segment = this.mode.current;
    const next = this.mode.segments[this.mode.segments.indexOf(segment) + 1];
    if (!segment?.editable || !next) return;
    const url = `${fill(this.mode.config.segmentUrl, segment.id)}merge-next/`;
    const merged = await this.change(segment, url, { next_version: next.version });
    if (!merged) return;
    this.mode.region(next)?.remove();
    this.mode.segments.splice(this.mode.segments.indexOf(next), 1);
    localStorage.removeItem(this.mode.textKey(segment));
    this.mode.replace(segment, merged);
    this.mode.select(segment.id);
    this.mode.say(gettext("Merged with the next segment."), "ok");
  }

  add() {
    return this.serial(() => this.addNow());
  }

  // A new segment from the cursor into the silence after it (never over a neighbour).
  async addNow() {
    const at = round(this.mode.player.currentTime);
    if (this.mode.segments.some((s) => s.start <= at && at < s.end)) {
      return this.mode.say(gettext("The cursor is inside a segment: split it instead, or move the cursor to a gap."), "error");
    }
    const following = this.mode.segments.find((s) => s.start > at);
    const end = round(Math.min(at + ADD_SECONDS, following ? following.start : this.mode.source.duration));
    const body = { start: at, end, speaker: this.mode.current?.speaker?.id };
    try {
      const created = await api(this.mode.source.segments_url, { method: "POST", body });
      const index = following ? this.mode.segments.indexOf(following) : this.mode.segments.length;
      this.mode.segments.splice(index, 0, created);
      this.mode.drawRegion(created);
      this.mode.select(created.id);
      this.mode.say(gettext("Segment added."), "ok");
    } catch (error) {
      this.mode.fail(error);
    }
  }

  remove() {
    return this.serial(() => this.removeNow());
  }

  async removeNow() {
    const segment = this.mode.current;
    if (!segment?.editable) return;
    const answer = await this.change(segment, `${fill(this.mode.config.segmentUrl, segment.id)}delete/`, {});
    if (!answer) return;
    const index = this.mode.segments.indexOf(segment);
    this.mode.region(segment)?.remove();
    this.mode.segments.splice(index, 1);
    localStorage.removeItem(this.mode.textKey(segment));
    this.mode.current = null;
    const next = this.mode.nextHeld(index - 1) || this.mode.segments[Math.min(index, this.mode.segments.length - 1)];
    if (next) this.mode.select(next.id, { seek: true });
    else this.mode.renderList();
    this.mode.say(gettext("Segment deleted."), "ok");
  }
}

export function round(seconds) {
  return Math.round(seconds * 1000) / 1000;
}
