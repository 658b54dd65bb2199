// Small helpers every browser app shares: JSON requests with Django's CSRF token and the
// API's error shape ({"error": {"code", "message"}}), and the translation function.

export const gettext = window.gettext || ((text) => text);
export const interpolate = window.interpolate || ((fmt, args) => fmt.replace(/%s/g, () => args.shift()));

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// A 503 with the code "retry" means PostgreSQL rolled the whole request back (a deadlock or a
// serialization failure, see labelhub/api_errors.py): nothing of it was stored, so it is sent
// once more after the server's Retry-After (at most this many seconds) before anyone is told.
const RETRY_WAIT_LIMIT_S = 5;

async function send(url, init) {
  const response = await fetch(url, init);
  const json = response.status !== 204 && response.headers.get("Content-Type")?.includes("json");
  return { response, data: json ? await response.json() : null };
}

function retryDelayMs(response) {
  const seconds = Number(response.headers.get("Retry-After")) || 1;
  return Math.min(Math.max(seconds, 0), RETRY_WAIT_LIMIT_S) * 1000;
}

// fetch() a JSON endpoint; throws ApiError on a 4xx/5xx (with the server's message), and lets a
// network failure (TypeError) through so callers can queue a retry.
export async function api(url, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRFToken"] = csrfToken();
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let { response, data } = await send(url, init);
  if (response.status === 503 && data?.error?.code === "retry") {
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(response)));
    ({ response, data } = await send(url, init));
  }
  if (response.status === 204) return null;
  if (!response.ok) {
    const error = data?.error || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`, error.message || response.statusText, data);
  }
  return data;
}
