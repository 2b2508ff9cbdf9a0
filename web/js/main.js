// The shell: hash routes (#/send, #/tx/IR…), the navigation for the current
// side (customer, agent, operations), the language switch.
import { h, mount } from './dom.js';
import { loadLanguage, onLanguageChange, savedLanguage, t } from './i18n.js';
import { token } from './api.js';
import { focusHeading } from './ui.js';
import * as login from './views/login.js';
import * as home from './views/home.js';
import * as send from './views/send.js';
import * as history from './views/history.js';
import * as transaction from './views/transaction.js';
import * as help from './views/help.js';
import * as problem from './views/problem.js';
import * as cases from './views/cases.js';
import * as agent from './views/agent.js';
import * as ops from './views/ops.js';

// [pattern, view, side, needs a customer session]
const ROUTES = [
  [/^\/login$/, login, 'customer', false],
  [/^\/$/, home, 'customer', true],
  [/^\/send$/, send, 'customer', true],
  [/^\/history$/, history, 'customer', true],
  [/^\/tx\/([^/]+)$/, transaction, 'customer', true],
  [/^\/help$/, help, 'customer', false],
  [/^\/help\/([^/]+)$/, help, 'customer', false],
  [/^\/problem$/, problem, 'customer', true],
  [/^\/cases$/, cases, 'customer', true],
  [/^\/cases\/([^/]+)$/, cases, 'customer', true],
  [/^\/agent$/, agent, 'agent', false],
  [/^\/agent\/case\/([^/]+)$/, agent, 'agent', false],
  [/^\/ops$/, ops, 'ops', false],
];

const NAV = {
  customer: [['#/', 'nav.home'], ['#/send', 'nav.send'], ['#/history', 'nav.history'], ['#/help', 'nav.help'],
    ['#/problem', 'nav.problem'], ['#/cases', 'nav.cases']],
  agent: [['#/agent', 'nav.queues'], ['#/', 'nav.customer'], ['#/ops', 'nav.ops']],
  ops: [['#/ops', 'nav.ops'], ['#/agent', 'nav.agent'], ['#/', 'nav.customer']],
};

let cleanup = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

function renderNav(side, path) {
  const nav = document.getElementById('nav');
  const items = NAV[side].filter(([href]) => side !== 'customer' || token('customer') || href === '#/help');
  if (side === 'customer') {
    items.push(token('customer') ? ['#/login?out=1', 'nav.logout'] : ['#/login', 'nav.login']);
    items.push(['#/agent', 'nav.agent']);
  }
  mount(nav, items.map(([href, key]) => {
    const current = href === `#${path}` || (href !== '#/' && `#${path}`.startsWith(href) && !href.includes('?'));
    return h('a', { href, 'aria-current': current ? 'page' : undefined }, t(key));
  }));
  nav.setAttribute('aria-label', t('nav.label'));
}

async function render() {
  if (cleanup) { try { cleanup(); } catch { /* a view's timers */ } cleanup = null; }
  const { path, query } = parseHash();
  const view = document.getElementById('view');
  for (const [pattern, module, side, needsSession] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    if (needsSession && !token('customer')) {
      location.hash = `#/login?next=${encodeURIComponent(path)}`;
      return;
    }
    renderNav(side, path);
    view.className = side === 'customer' ? 'view' : 'view wide';
    const result = await module.render(view, { params: match.slice(1).map(decodeURIComponent), query, path });
    if (typeof result === 'function') cleanup = result;
    focusHeading(view);
    return;
  }
  renderNav('customer', path);
  mount(view, h('h1', {}, t('app.not_found')), h('a', { href: '#/' }, t('nav.home')));
}

async function start() {
  await loadLanguage(savedLanguage());
  const button = document.getElementById('lang-switch');
  const label = () => {
    const other = document.documentElement.lang === 'ar' ? 'en' : 'ar';
    button.textContent = t('lang.switch_to');
    button.setAttribute('lang', other);
    button.setAttribute('aria-label', t('lang.switch_label'));
  };
  label();
  button.addEventListener('click', () => loadLanguage(document.documentElement.lang === 'ar' ? 'en' : 'ar'));
  onLanguageChange(() => { label(); render(); });
  window.addEventListener('hashchange', render);
  await render();
}

start();
