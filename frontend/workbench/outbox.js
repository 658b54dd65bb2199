// A retry queue for saves: every submit is written to localStorage before it is sent and removed
// only when the server answered. A network drop (fetch throws TypeError) or a 5xx keeps it
// queued and retries with backoff and on the browser's "online" event; a
// closed tab resends it on the next visit. Any other answer (2xx, or a 4xx such as a 409)
// settles it either way.

import { api, ApiError } from "../shared/api.js";

const KEY = "labelhub:workbench:outbox";

export class Outbox {
  constructor({ onQueued = () => {}, onDelivered = () => {} } = {}) {
    this.onQueued = onQueued;
    this.onDelivered = onDelivered;
    this.waiters = new Map();
    this.delay = 1000;
    this.timer = null;
    window.addEventListener("online", () => this.flush());
  }

  items() {
    try {
      return JSON.parse(localStorage.getItem(KEY) || "[]");
    } catch {
      return [];
    }
  }

  save(items) {
    localStorage.setItem(KEY, JSON.stringify(items));
  }

  get pending() {
    return this.items().length;
  }

  // Queues a POST and resolves with the server's answer once it is delivered.
  send(url, body) {
    const item = { id: `${Date.now()}-${Math.random().toString(36).slice(2)}`, url, body };
    this.save([...this.items(), item]);
    const answer = new Promise((resolve, reject) => this.waiters.set(item.id, { resolve, reject }));
    this.flush();
    return answer;
  }

  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    clearTimeout(this.timer);
    try {
      // Oldest first, re-reading the queue each time: a save queued meanwhile is sent too.
      for (let item = this.items()[0]; item; item = this.items()[0]) {
        let result;
        let failure;
        try {
          result = await api(item.url, { method: "POST", body: item.body });
        } catch (error) {
          // No answer, or a server that is down or restarting: keep it and try again.
          if (!(error instanceof ApiError) || error.status >= 500) {
            this.onQueued(this.pending);
            this.timer = setTimeout(() => this.flush(), this.delay);
            this.delay = Math.min(this.delay * 2, 15000);
            return;
          }
          failure = error;
        }
        this.delay = 1000;
        this.save(this.items().filter((other) => other.id !== item.id));
        const waiter = this.waiters.get(item.id);
        this.waiters.delete(item.id);
        if (waiter) failure ? waiter.reject(failure) : waiter.resolve(result);
        this.onDelivered(item, result, failure);
      }
    } finally {
      this.flushing = false;
    }
  }
}
