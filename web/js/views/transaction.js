// One transaction: state, amounts, parties and the timeline in plain words.
import { h, mount } from '../dom.js';
import { formatTime, money, pick, t } from '../i18n.js';
import { ROUTES, get } from '../api.js';
import { errorBox, loading, stateBadge } from '../ui.js';

export async function render(view, { params }) {
  mount(view, loading());
  const result = await get(ROUTES.transaction(params[0]));
  if (!result.ok) { mount(view, h('h1', {}, t('tx.title')), errorBox(result.error)); return; }
  const tx = result.data;
  const finalOk = tx.state === 'completed';
  mount(view,
    h('h1', {}, t('tx.title')),
    h('section', { class: 'card' },
      h('div', { class: 'row between' }, h('span', { class: 'big num' }, money(tx.amount)), stateBadge('state', tx.state)),
      h('p', { style: 'margin-top:.5rem', id: 'tx-summary' }, pick(tx, 'summary')),
      tx.error ? h('div', { class: 'alert alert-error' }, pick(tx.error, 'message')) : null,
      transactionFacts(tx)),
    h('section', { class: 'card', 'aria-labelledby': 'tl-h' },
      h('h2', { id: 'tl-h' }, t('tx.timeline')),
      timeline(tx.timeline)),
    finalOk ? null : h('a', { class: 'btn btn-danger', href: `#/problem?ir=${encodeURIComponent(tx.ir)}` }, t('receipt.report')));
}

export function transactionFacts(tx) {
  return h('dl', { class: 'facts' },
    h('dt', {}, t('tx.ir')), h('dd', { class: 'ir' }, tx.ir),
    h('dt', {}, t('tx.fee')), h('dd', { class: 'num' }, money(tx.fee)),
    h('dt', {}, t('tx.from')), h('dd', {}, pick(tx.payer, 'participant_name')),
    h('dt', {}, t('tx.to')), h('dd', {}, [pick(tx.payee, 'masked_name'), pick(tx.payee, 'participant_name')].filter(Boolean).join(' — ')),
    h('dt', {}, t('tx.when')), h('dd', {}, formatTime(tx.created_ms)),
    tx.returns_by ? [h('dt', {}, t('tx.returns_by')), h('dd', {}, formatTime(tx.returns_by))] : null,
    tx.note ? [h('dt', {}, t('tx.note')), h('dd', {}, tx.note)] : null);
}

const BAD = new Set(['failed', 'rejected', 'reversed']);
const WARN = new Set(['timed_out_after_debit', 'debited', 'disputed', 'initiated']);
export function timeline(entries) {
  if (!entries || !entries.length) return h('p', { class: 'muted' }, t('tx.no_timeline'));
  // Steps on the way are plain; the last step shows where the transfer stands.
  const last = entries.length - 1;
  return h('ol', { class: 'timeline' }, entries.map((e, i) =>
    h('li', { class: i < last ? '' : BAD.has(e.state) ? 'bad' : WARN.has(e.state) ? 'warn' : '' },
      h('time', { datetime: e.at || '' }, formatTime(e.at_ms || e.at)),
      // The app's entries carry sentences; the switch's raw entries (agent
      // dossier) carry an event and who did it.
      pick(e, 'text') || [t(`state.${e.state}`), e.event, e.actor].filter(Boolean).join(' · '))));
}
