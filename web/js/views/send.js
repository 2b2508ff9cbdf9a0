// Send money: who (lookup shows the payee's masked name and bank), how much,
// from which account, then the PIN; the receipt carries the IR reference.
import { asciiDigits, field, h, mount, parseAmountToPiastres } from '../dom.js';
import { money, pick, t, formatTime } from '../i18n.js';
import { ROUTES, get, post } from '../api.js';
import { alertBox, busy, errorBox, loading, stateBadge } from '../ui.js';

const KINDS = ['mobile', 'ipa', 'account', 'iban', 'wallet', 'card'];
const BANKS = ['NBE', 'BM', 'CIB', 'QNB', 'BDC', 'AAIB', 'HSBC', 'ALEX', 'FAISAL', 'HDB'];

export async function render(view) {
  mount(view, loading());
  const accounts = await get(ROUTES.accounts());
  const state = { payee: null, lookup: null, requestId: null };

  const kind = h('select', { name: 'kind' }, KINDS.map((k) => h('option', { value: k }, t(`send.kind.${k}`))));
  const value = h('input', { name: 'payee', required: true, dir: 'ltr', autocomplete: 'off' });
  const bank = h('select', { name: 'participant' }, BANKS.map((b) => h('option', { value: b }, t(`bank.${b}`))));
  const bankField = field(t('send.bank'), bank);
  bankField.hidden = true;
  kind.addEventListener('change', () => {
    bankField.hidden = kind.value !== 'account';
    state.lookup = null;
    mount(found);
    detailsCard.hidden = true;
  });
  value.addEventListener('input', () => { state.lookup = null; detailsCard.hidden = true; mount(found); });
  const found = h('div', { 'aria-live': 'polite', id: 'lookup-result' });
  const lookupButton = h('button', { class: 'btn', type: 'submit' }, t('send.lookup'));

  const lookupForm = h('form', { class: 'card', onsubmit: async (event) => {
    event.preventDefault();
    const body = { kind: kind.value, value: asciiDigits(value.value.trim()) };
    if (kind.value === 'account') body.participant = bank.value;
    const result = await busy(lookupButton, () => post(ROUTES.lookup(), body));
    if (!result) return;
    if (!result.ok) { mount(found, errorBox(result.error)); value.setAttribute('aria-invalid', 'true'); return; }
    value.removeAttribute('aria-invalid');
    state.payee = body;
    state.lookup = result.data;
    state.requestId = `web-${Date.now()}-${Math.random().toString(16).slice(2, 10)}`;
    mount(found, h('div', { class: 'alert alert-ok', role: 'status' },
      h('div', {}, t('send.payee_is')), h('strong', { class: 'big', id: 'masked-name' }, pick(result.data, 'masked_name')),
      h('div', {}, pick(result.data, 'participant_name'))));
    detailsCard.hidden = false;
    amount.focus();
  } },
  h('h1', {}, t('send.title')),
  field(t('send.kind'), kind),
  bankField,
  field(t('send.payee'), value, t('send.payee_hint')),
  lookupButton,
  found);

  const amount = h('input', { name: 'amount', inputmode: 'decimal', required: true, dir: 'ltr', autocomplete: 'off' });
  const note = h('input', { name: 'note', maxlength: 140 });
  const from = h('select', { name: 'from' }, accounts.ok ? accounts.data.accounts.map((a) =>
    h('option', { value: a.id, selected: a.default }, `${a.participant} · ${a.account_number}${a.available != null ? ` · ${money(a.available)}` : ''}`)) : []);
  const pin = h('input', { type: 'password', name: 'pin', inputmode: 'numeric', maxlength: 6, class: 'pin-input', autocomplete: 'current-password', required: true });
  const sendMessage = h('div', { 'aria-live': 'assertive' });
  const confirm = h('button', { class: 'btn btn-block', type: 'submit' }, t('send.confirm'));
  const detailsCard = h('form', { class: 'card', hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    mount(sendMessage);
    const piastres = parseAmountToPiastres(amount.value);
    if (piastres === null) {
      amount.setAttribute('aria-invalid', 'true');
      mount(sendMessage, alertBox('error', t('send.amount_invalid')));
      amount.focus();
      return;
    }
    amount.removeAttribute('aria-invalid');
    const body = { ...state.payee, amount: piastres, pin: asciiDigits(pin.value.trim()), from_account_id: from.value,
      client_request_id: state.requestId };
    if (note.value.trim()) body.note = note.value.trim();
    const result = await busy(confirm, () => post(ROUTES.send(), body));
    if (!result) return;
    pin.value = '';
    if (!result.ok) {
      // A refused transfer still has an IR reference when the switch saw it.
      mount(sendMessage, errorBox(result.error));
      if (result.error.code === 'app.pin_wrong' || result.error.code === 'app.pin_locked') pin.focus();
      return;
    }
    mount(view, receipt(result.data));
  } },
  h('h2', {}, t('send.details')),
  field(t('send.amount'), amount, t('send.amount_hint')),
  field(t('send.from'), from),
  field(t('send.note'), note),
  field(t('send.pin'), pin, t('send.pin_hint')),
  sendMessage,
  confirm);

  mount(view, lookupForm, detailsCard);
}

export function receipt(tx) {
  const ok = tx.state === 'completed';
  const failed = ['failed', 'rejected', 'timed_out_after_debit', 'reversed'].includes(tx.state);
  return h('section', { class: 'card receipt', 'aria-labelledby': 'receipt-h', id: 'receipt' },
    h('h1', { id: 'receipt-h' }, ok ? t('receipt.done') : failed ? t('receipt.problem') : t('receipt.pending')),
    h('p', {}, pick(tx, 'summary')),
    tx.error ? h('div', { class: 'alert alert-error', role: 'alert' }, pick(tx.error, 'message')) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, t('tx.ir')), h('dd', { class: 'ir', id: 'receipt-ir' }, tx.ir),
      h('dt', {}, t('tx.state')), h('dd', {}, stateBadge('state', tx.state)),
      h('dt', {}, t('tx.amount')), h('dd', { class: 'num' }, money(tx.amount)),
      h('dt', {}, t('tx.fee')), h('dd', { class: 'num' }, money(tx.fee)),
      h('dt', {}, t('tx.to')), h('dd', {}, [pick(tx.payee, 'masked_name'), pick(tx.payee, 'participant_name')].filter(Boolean).join(' — ')),
      h('dt', {}, t('tx.when')), h('dd', {}, formatTime(tx.created_ms))),
    h('div', { class: 'row', style: 'margin-top:1rem' },
      h('a', { class: 'btn', href: `#/tx/${tx.ir}` }, t('receipt.timeline')),
      ok ? null : h('a', { class: 'btn btn-danger', href: `#/problem?ir=${encodeURIComponent(tx.ir)}`, id: 'report-problem' }, t('receipt.report')),
      h('a', { class: 'btn btn-ghost', href: '#/send' }, t('receipt.another'))));
}
