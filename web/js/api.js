// The JSON API, in one place. Every path the front end calls is in ROUTES so
// a change on the server side is a one-line change here. Three roles hold
// their own bearer tokens: the customer (app session), the agent (customer
// care) and the operator (admin token). Tokens live in sessionStorage: they
// end with the tab.
import { pick, t } from './i18n.js';

const enc = encodeURIComponent;

export const ROUTES = {
  // app (src/app/app.cc)
  login: () => '/api/v1/login',
  logout: () => '/api/v1/logout',
  me: () => '/api/v1/me',
  accounts: () => '/api/v1/accounts',
  lookup: () => '/api/v1/payments/lookup',
  send: () => '/api/v1/payments/send',
  limits: () => '/api/v1/limits',
  history: (query) => `/api/v1/transactions${query ? `?${query}` : ''}`,
  transaction: (ir) => `/api/v1/transactions/${enc(ir)}`,
  notifications: () => '/api/v1/notifications',
  // admin (src/app/admin.cc)
  participants: () => '/api/v1/admin/participants',
  fault: (code) => `/api/v1/admin/participants/${enc(code)}/fault`,
  adminTransaction: (ir) => `/api/v1/admin/transactions/${enc(ir)}`,
  reconcile: () => '/api/v1/admin/reconcile',
  outbox: (mobile) => `/api/v1/admin/outbox?mobile=${enc(mobile)}`,
  stats: () => '/api/v1/admin/stats',
  settlement: () => '/api/v1/admin/settlement',
  settlementClose: () => '/api/v1/admin/settlement/close',
  // customer care (src/care/care_routes*.cc)
  helpSearch: (q, language) => `/api/v1/help/search?q=${enc(q)}&lang=${enc(language)}`,
  helpArticle: (id) => `/api/v1/help/articles/${enc(id)}`,
  helpArticles: () => '/api/v1/help/articles',
  triage: () => '/api/v1/care/triage',
  channels: (query) => `/api/v1/care/channels?${query}`,
  cases: () => '/api/v1/care/cases',
  caseOf: (id) => `/api/v1/care/cases/${enc(id)}`,
  caseReply: (id) => `/api/v1/care/cases/${enc(id)}/replies`,
  caseClose: (id) => `/api/v1/care/cases/${enc(id)}/close`,
  caseFreeze: (id) => `/api/v1/care/cases/${enc(id)}/freeze`,
  caseAttachment: (id, a) => `/api/v1/care/cases/${enc(id)}/attachments/${enc(a)}`,
  agentQueue: (query) => `/api/v1/agent/queue${query ? `?${query}` : ''}`,
  agentSla: () => '/api/v1/agent/sla',
  agentCase: (id) => `/api/v1/agent/cases/${enc(id)}`,
  agentDossier: (id) => `/api/v1/agent/cases/${enc(id)}/dossier`,
  agentAction: (id, action) => `/api/v1/agent/cases/${enc(id)}/${action}`,
  agentAttachment: (id, a) => `/api/v1/agent/cases/${enc(id)}/attachments/${enc(a)}`,
};

const KEYS = { customer: 'lahza.token', agent: 'lahza.agent', admin: 'lahza.admin' };

export function token(role = 'customer') {
  try { return sessionStorage.getItem(KEYS[role]) || ''; } catch { return ''; }
}
export function setToken(role, value) {
  try {
    if (value) sessionStorage.setItem(KEYS[role], value);
    else sessionStorage.removeItem(KEYS[role]);
  } catch { /* storage unavailable: the session lasts as long as the page */ }
}

export function deviceId() {
  // One id per browser, so the server can bind the device after an OTP.
  try {
    let id = localStorage.getItem('lahza.device');
    if (!id) {
      const bytes = new Uint8Array(9);
      crypto.getRandomValues(bytes);
      id = 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem('lahza.device', id);
    }
    return id;
  } catch { return 'web-ephemeral'; }
}

// The result of every call: {ok, status, data, error: {code, message}}; the
// message is the server's own words in the current language.
export async function call(method, path, body, role = 'customer') {
  const headers = { Accept: 'application/json' };
  const bearer = token(role);
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  // Customer sessions are bound to the device they were opened on.
  if (role === 'customer') headers['X-Device-Id'] = deviceId();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, status: 0, data: null, error: { code: 'network', message: t('error.network') } };
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) return { ok: true, status: response.status, data, error: null };
  const error = data && data.error ? data.error : {};
  if (response.status === 401 && role !== 'admin') setToken(role, '');
  return {
    ok: false,
    status: response.status,
    data,
    error: { code: error.code || `http.${response.status}`, message: pick(error, 'message') || t('error.generic', { status: response.status }) },
  };
}

export const get = (path, role) => call('GET', path, undefined, role);
export const post = (path, body, role) => call('POST', path, body ?? {}, role);
export const put = (path, body, role) => call('PUT', path, body ?? {}, role);
