// The console's one way to the server: the public API of this deployment,
// with the browser's session cookie. Nothing here stores a credential.

export const apiBase = document.querySelector('meta[name="objectos-api"]').content;
export const consoleRoot = document.querySelector('meta[name="objectos-console"]').content;

// ApiError carries what the API said: its HTTP status, its stable code,
// its message, the reason among its details (TWO_FACTOR_REQUIRED), the
// seconds its Retry-After asked to wait (0 for none) and, for validation
// failures, one entry per field.
export class ApiError extends Error {
  constructor(status, body) {
    const err = body && typeof body === 'object' ? body : {};
    const nested = err.error && typeof err.error === 'object' ? err.error : null;
    const code = err.code || (nested && nested.code) || (status === 0 ? 'NETWORK_ERROR' : 'HTTP_' + status);
    const message = (nested && nested.message) || err.message || (typeof err.error === 'string' ? err.error : '') ||
      (status === 0 ? 'The server could not be reached.' : 'The server answered ' + status + '.');
    super(message);
    this.status = status;
    this.code = code;
    this.fields = Array.isArray(err.fields) ? err.fields : (nested && Array.isArray(nested.fields) ? nested.fields : []);
    const details = nested && nested.details && typeof nested.details === 'object' ? nested.details : {};
    // the auth routes name the reason as their code (better-auth's envelope)
    this.reason = typeof details.reason === 'string' ? details.reason : (code === 'TWO_FACTOR_REQUIRED' ? code : '');
    this.retryAfter = 0;
    this.body = err;
  }
}

let inflight = 0;
const listeners = new Set();
// onBusy registers fn(busy) to hear when requests start and all end.
export function onBusy(fn) { listeners.add(fn); }
function busy(delta) {
  const was = inflight > 0;
  inflight += delta;
  if (was !== inflight > 0) listeners.forEach((fn) => fn(inflight > 0));
}

let onUnauthenticated = () => {};
// whenSignedOut sets what happens when the API says the session is gone.
export function whenSignedOut(fn) { onUnauthenticated = fn; }

let reauthenticate = null;
// whenSessionEnds sets how a write that met an ended session signs in
// again (resolving true) before it is sent once more, so that what the
// user typed is not lost.
export function whenSessionEnds(fn) { reauthenticate = fn; }

// call sends one request and returns the decoded JSON answer (null for an
// empty one), or throws an ApiError. query is an object of parameters;
// objects in it are sent as JSON.
export async function call(method, path, opts = {}) {
  const { query, body, headers, quiet401, retried } = opts;
  let url = apiBase + path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      qs.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    const s = qs.toString();
    if (s) url += '?' + s;
  }
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...(headers || {}) } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  busy(1);
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, null);
  } finally {
    busy(-1);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    const wait = Number(res.headers.get('Retry-After'));
    if (Number.isInteger(wait) && wait > 0) err.retryAfter = wait;
    if (res.status === 401 && !quiet401) {
      if (method !== 'GET' && !retried && reauthenticate && await reauthenticate()) {
        return call(method, path, { ...opts, retried: true });
      }
      onUnauthenticated(err);
    }
    throw err;
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const etag = res.headers.get('ETag');
    if (etag) Object.defineProperty(data, 'etag', { value: etag, enumerable: false });
  }
  return data;
}

// unwrap returns the payload of a metadata answer ({success, data} or bare).
export function unwrap(answer) {
  return answer && answer.data && answer.success !== undefined ? answer.data : answer;
}

const metaCache = new Map();
// objectMeta returns the metadata of an object as the caller sees it.
export async function objectMeta(name) {
  if (!metaCache.has(name)) {
    const p = call('GET', '/meta/object/' + encodeURIComponent(name)).then((a) => unwrap(a).item);
    metaCache.set(name, p);
    p.catch(() => metaCache.delete(name));
  }
  return metaCache.get(name);
}

// objectList returns the objects the caller may read.
export async function objectList() {
  return unwrap(await call('GET', '/meta/object')).items || [];
}

let actionsOnce = null;
// actionsOf returns the declared actions of an object.
export async function actionsOf(object) {
  if (!actionsOnce) {
    actionsOnce = call('GET', '/meta/action').then((a) => unwrap(a).items || []);
    actionsOnce.catch(() => { actionsOnce = null; });
  }
  return (await actionsOnce).filter((a) => a.objectName === object);
}

// forget drops cached metadata (after signing in as someone else).
export function forget() {
  metaCache.clear();
  actionsOnce = null;
}
