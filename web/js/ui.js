// Shared pieces of the pages: alerts, badges for states, the toast, busy buttons.
import { h } from './dom.js';
import { t } from './i18n.js';

export function alertBox(kind, text, extra) {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text, extra);
}

export function errorBox(error) {
  return alertBox('error', error ? error.message : t('error.generic', { status: '' }));
}

let toastTimer = null;
export function toast(text) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

// Transfer states of the switch and case statuses, coloured by meaning.
const TONE = {
  completed: 'ok', resolved: 'ok', closed: 'muted', reversed: 'info', returned: 'info',
  failed: 'bad', rejected: 'bad', escalated: 'warn', pending: 'warn', debited: 'warn', held: 'warn',
  in_progress: 'info', open: 'info', waiting_customer: 'warn', disputed: 'warn', timed_out_after_debit: 'warn',
  initiated: 'warn', credited: 'info',
};
export function stateBadge(prefix, state) {
  const tone = TONE[state] || (String(state).includes('fail') ? 'bad' : 'muted');
  return h('span', { class: `badge badge-${tone}`, dataset: { state } }, t(`${prefix}.${state}`));
}

// Runs `work` while the button shows it is busy, so a double click never
// sends twice.
export async function busy(button, work) {
  if (button.disabled) return undefined;
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = t('app.working');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

export function loading() {
  return h('p', { class: 'muted', role: 'status' }, t('app.loading'));
}

export function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}
