// History with filters (type, status, direction); each row opens the
// transaction's timeline.
import { field, h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { ROUTES, get } from '../api.js';
import { errorBox, loading } from '../ui.js';
import { transactionList } from './home.js';

const TYPES = ['', 'transfer', 'collect', 'bill', 'donation'];
const STATES = ['', 'completed', 'failed', 'rejected', 'reversed', 'timed_out_after_debit', 'disputed', 'debited', 'initiated'];
const DIRECTIONS = ['', 'out', 'in'];

export async function render(view, { query }) {
  const select = (name, values, prefix) => h('select', { name },
    values.map((v) => h('option', { value: v, selected: query.get(name) === v }, v ? t(`${prefix}.${v}`) : t('history.any'))));
  const type = select('type', TYPES, 'history.type');
  const status = select('status', STATES, 'state');
  const direction = select('direction', DIRECTIONS, 'history.direction');
  const results = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    mount(results, loading());
    const params = new URLSearchParams({ limit: '50' });
    for (const [name, el] of [['type', type], ['status', status], ['direction', direction]]) if (el.value) params.set(name, el.value);
    const result = await get(ROUTES.history(params.toString()));
    mount(results, result.ok ? transactionList(result.data.transactions) : errorBox(result.error));
  };
  for (const el of [type, status, direction]) el.addEventListener('change', load);
  mount(view,
    h('h1', {}, t('history.title')),
    h('form', { class: 'card', onsubmit: (e) => { e.preventDefault(); load(); } },
      h('div', { class: 'grid', style: 'grid-template-columns:repeat(auto-fill,minmax(150px,1fr))' },
        field(t('history.filter_type'), type), field(t('history.filter_status'), status), field(t('history.filter_direction'), direction))),
    h('section', { class: 'card' }, results));
  await load();
}
