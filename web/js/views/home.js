// Home: who is signed in, linked accounts with the balance the bank reports
// now, what is left of today's limit, and the latest transactions.
import { h, mount } from '../dom.js';
import { formatTime, money, pick, t } from '../i18n.js';
import { ROUTES, get } from '../api.js';
import { errorBox, loading, stateBadge } from '../ui.js';

export async function render(view) {
  mount(view, loading());
  const [me, accounts, limits, recent] = await Promise.all([
    get(ROUTES.me()), get(ROUTES.accounts()), get(ROUTES.limits()), get(ROUTES.history('limit=5')),
  ]);
  if (!me.ok) { mount(view, errorBox(me.error), h('a', { href: '#/login' }, t('nav.login'))); return; }
  const customer = me.data;
  const parts = [
    h('h1', {}, t('home.greeting', { name: pick(customer, 'name') })),
  ];
  if (customer.state && customer.state !== 'active') {
    parts.push(h('div', { class: 'alert alert-warn', role: 'status' }, pick(customer, 'state_message')));
  }
  parts.push(h('div', { class: 'row' },
    h('a', { class: 'btn', href: '#/send' }, t('nav.send')),
    h('a', { class: 'btn btn-ghost', href: '#/problem' }, t('nav.problem')),
    h('a', { class: 'btn btn-ghost', href: '#/help' }, t('nav.help'))));

  parts.push(h('h2', { style: 'margin-top:1rem' }, t('home.accounts')));
  if (!accounts.ok) parts.push(errorBox(accounts.error));
  else {
    parts.push(h('div', { class: 'grid', id: 'accounts' }, accounts.data.accounts.map((a) =>
      h('section', { class: 'card account', 'aria-label': `${a.participant} ${a.account_number}` },
        h('div', { class: 'row between' },
          h('strong', {}, a.participant),
          a.default ? h('span', { class: 'badge badge-ok' }, t('home.default')) : null),
        h('div', { class: 'muted small mono' }, a.card || a.iban || a.account_number),
        a.ipa ? h('div', { class: 'small mono' }, a.ipa) : null,
        h('div', { class: 'muted small', style: 'margin-top:.5rem' }, t('home.available')),
        h('div', { class: 'balance num' }, a.available === null || a.available === undefined ? '—' : money(a.available))))));
  }
  if (limits.ok) {
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'limits-h' },
      h('h2', { id: 'limits-h' }, t('home.limits')),
      h('dl', { class: 'facts' },
        h('dt', {}, t('home.left_today')), h('dd', { class: 'num' }, money(limits.data.left_today)),
        h('dt', {}, t('home.left_month')), h('dd', { class: 'num' }, money(limits.data.left_this_month)),
        h('dt', {}, t('home.per_transaction')), h('dd', { class: 'num' }, money(limits.data.per_transaction)))));
  }
  parts.push(h('section', { class: 'card' },
    h('div', { class: 'row between' }, h('h2', {}, t('home.recent')), h('a', { href: '#/history' }, t('home.all_history'))),
    recent.ok ? transactionList(recent.data.transactions) : errorBox(recent.error)));
  mount(view, parts);
}

export function transactionList(items) {
  if (!items.length) return h('p', { class: 'muted' }, t('history.empty'));
  return h('ul', { class: 'list' }, items.map((tx) => h('li', {},
    h('a', { class: 'list-item', href: `#/tx/${tx.ir}` },
      h('span', {},
        h('span', { class: 'title' }, t(`history.type.${tx.type}`), ' · ', tx.direction === 'in' ? t('history.in') : t('history.out'), ' ',
          h('span', { class: 'num' }, tx.counterparty_name || tx.counterparty || '')),
        h('br'),
        h('span', { class: 'muted small' }, formatTime(tx.created_ms), ' · ', h('span', { class: 'ir' }, tx.ir))),
      h('span', { class: 'stack', style: 'text-align:end' },
        h('span', { class: 'num', style: 'font-weight:700;display:block' }, (tx.direction === 'in' ? '+' : '−'), money(tx.amount)),
        stateBadge('state', tx.state))))));
}
