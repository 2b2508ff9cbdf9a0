// Operations: participants with their health and fault-injection switches,
// the live transfer rate and failures, settlement window positions. Needs the
// admin token (lahza serve --admin-token, or the one seed-demo prints).
import { field, h, mount } from '../dom.js';
import { formatNumber, formatPiastres, pick, t } from '../i18n.js';
import { ROUTES, get, post, put, setToken, token } from '../api.js';
import { alertBox, busy, errorBox, loading, toast } from '../ui.js';
import { barChart, divergingBars, lineChart } from '../charts.js';

const FAULTS = ['none', 'slow', 'down', 'reject', 'timeout_after_debit'];
const HEALTH = { none: ['#1a7f37', 'ok'], slow: ['#d99100', 'warn'], timeout_after_debit: ['#d99100', 'warn'], down: ['#b42318', 'bad'], reject: ['#b42318', 'bad'] };
const FAIL_STATES = ['failed', 'rejected', 'timed_out_after_debit', 'reversed', 'disputed'];

export async function render(view) {
  if (!token('admin')) return signIn(view);
  const samples = [];  // [ms, total transfers, failures]
  const participantsBox = h('div', { id: 'participants' }, loading());
  const rateBox = h('div', { id: 'rate' });
  const failBox = h('div', { id: 'failures' });
  const settlementBox = h('div', { id: 'settlement' });
  const closing = { armed: null };
  mount(view,
    h('div', { class: 'row between' }, h('h1', {}, t('ops.title')),
      h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => { setToken('admin', ''); rerender(); } }, t('ops.sign_out'))),
    h('section', { class: 'card', 'aria-labelledby': 'rate-h' }, h('h2', { id: 'rate-h' }, t('ops.rate')), rateBox),
    h('section', { class: 'card', 'aria-labelledby': 'fail-h' }, h('h2', { id: 'fail-h' }, t('ops.failures')), failBox),
    h('section', { 'aria-labelledby': 'parts-h' }, h('h2', { id: 'parts-h' }, t('ops.participants')), participantsBox),
    h('section', { class: 'card', 'aria-labelledby': 'settle-h' }, h('h2', { id: 'settle-h' }, t('ops.settlement')), settlementBox));

  const loadParticipants = async () => {
    const result = await get(ROUTES.participants(), 'admin');
    if (!result.ok) {
      if (result.status === 401) { setToken('admin', ''); return signIn(view, result.error); }
      mount(participantsBox, errorBox(result.error));
      return undefined;
    }
    mount(participantsBox, h('div', { class: 'grid' }, result.data.participants.map((p) => participantCard(p, loadParticipants))));
    return undefined;
  };

  const loadStats = async () => {
    const result = await get(ROUTES.stats(), 'admin');
    if (!result.ok) {
      mount(rateBox, result.status === 404 ? alertBox('info', t('ops.no_stats')) : errorBox(result.error));
      mount(failBox);
      return;
    }
    const stats = result.data;
    const counts = stats.counts || stats.by_state || {};
    const total = stats.total ?? Object.values(counts).reduce((a, b) => a + Number(b || 0), 0);
    const failures = FAIL_STATES.reduce((a, k) => a + Number(counts[k] || 0), 0);
    samples.push([Date.now(), total, failures]);
    if (samples.length > 60) samples.shift();
    const rate = [];
    const failRate = [];
    for (let i = 1; i < samples.length; i++) {
      const seconds = Math.max(0.001, (samples[i][0] - samples[i - 1][0]) / 1000);
      rate.push([samples[i][0], Math.max(0, (samples[i][1] - samples[i - 1][1]) / seconds)]);
      failRate.push([samples[i][0], Math.max(0, (samples[i][2] - samples[i - 1][2]) / seconds)]);
    }
    const current = rate.length ? rate[rate.length - 1][1] : 0;
    mount(rateBox,
      h('p', {}, h('span', { class: 'big num', id: 'rate-now' }, formatNumber(Math.round(current * 10) / 10)), ' ', t('ops.per_second'),
        ' · ', t('ops.total', { n: formatNumber(total) })),
      lineChart({ title: t('ops.rate'), series: [{ name: t('ops.transfers'), color: '#0b6e4f', points: rate }, { name: t('ops.failed'), color: '#b42318', points: failRate }],
        format: (v) => formatNumber(Math.round(v * 10) / 10) }),
      h('div', { class: 'legend' }, h('span', { style: '--c:#0b6e4f' }, t('ops.transfers')), h('span', { style: '--c:#b42318' }, t('ops.failed'))));
    const byParticipant = stats.by_participant || [];
    const states = Object.keys(counts).sort();
    mount(failBox,
      h('div', { class: 'row' }, FAIL_STATES.map((k) => h('span', { class: `badge ${Number(counts[k] || 0) ? 'badge-bad' : 'badge-muted'}` },
        `${t(`state.${k}`)}: ${formatNumber(Number(counts[k] || 0))}`))),
      byParticipant.length
        ? barChart({ title: t('ops.failures_by_participant'), colors: ['#0b6e4f', '#b42318'],
          bars: byParticipant.map((p) => ({ label: p.participant || p.code, values: [Number(p.completed || 0), Number(p.failed || 0)] })),
          format: (v) => formatNumber(Math.round(v)) })
        : barChart({ title: t('ops.by_state'), colors: ['#1d4ed8'], bars: states.map((k) => ({ label: t(`state.${k}`), values: [Number(counts[k] || 0)] })),
          format: (v) => formatNumber(Math.round(v)) }),
      byParticipant.length ? h('div', { class: 'legend' }, h('span', { style: '--c:#0b6e4f' }, t('state.completed')), h('span', { style: '--c:#b42318' }, t('ops.failed'))) : null);
  };

  const loadSettlement = async () => {
    const result = await get(ROUTES.settlement(), 'admin');
    if (!result.ok) { mount(settlementBox, result.status === 404 ? alertBox('info', t('ops.no_settlement')) : errorBox(result.error)); return; }
    const report = result.data.window || result.data;
    const positions = report.positions || [];
    mount(settlementBox,
      h('p', { id: 'window-line', dataset: { window: String(report.window_id ?? '') } },
        t('ops.window', { id: report.window_id == null ? '—' : formatNumber(report.window_id), status: t(`ops.window_status.${report.status || 'open'}`) }),
        ' · ', t('ops.net_sum', { sum: formatPiastres(report.net_sum ?? 0) })),
      positions.length ? divergingBars({ title: t('ops.settlement'), items: positions.map((p) => ({ label: p.participant, value: Number(p.net) })), format: formatPiastres })
        : h('p', { class: 'muted' }, t('ops.no_positions')),
      h('div', { class: 'legend' }, h('span', { style: '--c:#1a7f37' }, t('ops.owed_to')), h('span', { style: '--c:#b42318' }, t('ops.owes'))),
      closeWindowForm(report, loadSettlement, closing));
  };

  await loadParticipants();
  await Promise.all([loadStats(), loadSettlement()]);
  // Polls every 2 s while the page is open: the charts are "live".
  const timer = setInterval(() => { loadStats(); loadSettlement(); }, 2000);
  return () => clearInterval(timer);
}

// The end of a settlement cycle: closes the open window (its nets are fixed
// and posted) and opens the next. Two clicks, so a stray one closes nothing.
// `closing.armed` (the window the first click named) outlives the 2 s
// re-render of the settlement card.
function closeWindowForm(report, reload, closing) {
  if (report.status !== 'open') return null;
  const confirmLabel = t('ops.close_window_confirm', { id: formatNumber(report.window_id) });
  const armed = closing.armed === report.window_id;
  const button = h('button', { class: 'btn btn-small', type: 'submit', id: 'close-window', dataset: { armed: String(armed) } },
    armed ? confirmLabel : t('ops.close_window'));
  return h('form', { class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    if (closing.armed !== report.window_id) {
      closing.armed = report.window_id;
      button.textContent = confirmLabel;
      button.dataset.armed = 'true';
      return;
    }
    closing.armed = null;
    const result = await busy(button, () => post(ROUTES.settlementClose(), {}, 'admin'));
    if (!result) return;
    if (!result.ok) { toast(result.error.message); return; }
    toast(t('ops.window_closed', { id: formatNumber(result.data.window_id), sum: formatPiastres(result.data.net_sum ?? 0) }));
    reload();
  } }, button);
}

function participantCard(p, reload) {
  const fault = (p.fault && p.fault.kind) || 'none';
  const [color, tone] = HEALTH[fault] || HEALTH.none;
  const select = h('select', { name: `fault-${p.code}`, 'data-participant': p.code },
    FAULTS.map((f) => h('option', { value: f, selected: f === fault }, t(`fault.${f}`))));
  const apply = h('button', { class: 'btn btn-small', type: 'submit' }, t('ops.apply'));
  return h('form', { class: `card participant`, dataset: { participant: p.code, fault }, onsubmit: async (e) => {
    e.preventDefault();
    const body = { kind: select.value };
    if (select.value === 'slow') body.slow_ms = 1500;
    if (select.value === 'reject') body.reject_code = 'ipn.account_closed';
    const result = await busy(apply, () => put(ROUTES.fault(p.code), body, 'admin'));
    if (!result) return;
    if (!result.ok) { toast(result.error.message); return; }
    toast(t('ops.fault_set', { code: p.code, fault: t(`fault.${select.value}`) }));
    reload();
  } },
  h('div', { class: 'row between' },
    h('strong', {}, pick(p, 'name')),
    h('span', { class: `badge badge-${tone}` }, h('span', { class: 'health-dot', style: `background:${color};margin-inline-end:.3rem` }), t(`health.${tone}`))),
  h('div', { class: 'small muted' }, p.code, ' · ', t(`kind.${p.kind}`), p.hotline ? ` · ☎ ${p.hotline}` : ''),
  field(t('ops.fault'), select),
  apply);
}

function signIn(view, error) {
  const input = h('input', { type: 'password', name: 'admin-token', autocomplete: 'off', required: true, dir: 'ltr' });
  const submit = h('button', { class: 'btn', type: 'submit' }, t('ops.sign_in'));
  mount(view, h('form', { class: 'card', style: 'max-width:480px', onsubmit: (e) => {
    e.preventDefault();
    setToken('admin', input.value.trim());
    rerender();
  } },
  h('h1', {}, t('ops.title')),
  error ? errorBox(error) : null,
  field(t('ops.token'), input, t('ops.token_hint')),
  submit));
  return undefined;
}

// Through the router, so the page's polling timer is owned (and stopped) by it.
function rerender() { window.dispatchEvent(new HashChangeEvent('hashchange')); }
