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
  const response = await fetch(url, init);
  if (response.status === 204) return null;
  const data = response.headers.get("Content-Type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = data?.error || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`, error.message || response.statusText, data);
  }
  return data;
}
