// Sign in: mobile number and PIN; a browser the server has not seen before is
// bound with a one-time code sent by SMS to the registered number.
import { asciiDigits, field, h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { ROUTES, deviceId, post, setToken, token } from '../api.js';
import { busy, errorBox, alertBox } from '../ui.js';

export async function render(view, { query }) {
  if (query.get('out')) {
    if (token('customer')) await post(ROUTES.logout(), {});
    setToken('customer', '');
    location.hash = '#/login';
    return;
  }
  const mobile = h('input', { type: 'tel', inputmode: 'numeric', autocomplete: 'tel-national', required: true, name: 'mobile', dir: 'ltr', maxlength: 16 });
  const pin = h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'current-password', required: true, name: 'pin', maxlength: 6, class: 'pin-input', pattern: '[0-9٠-٩]{6}' });
  const otp = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', name: 'otp', maxlength: 6, class: 'pin-input' });
  const otpField = field(t('login.otp'), otp, '');
  otpField.hidden = true;
  const message = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { class: 'btn btn-block', type: 'submit' }, t('login.submit'));

  const form = h('form', { class: 'card stack', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    mount(message);
    const body = { mobile: asciiDigits(mobile.value.trim()), pin: asciiDigits(pin.value.trim()), device_id: deviceId() };
    if (!otpField.hidden) body.otp = asciiDigits(otp.value.trim());
    const result = await busy(submit, () => post(ROUTES.login(), body));
    if (!result) return;
    if (result.status === 202 && result.data && result.data.otp_required) {
      otpField.hidden = false;
      otpField.querySelector('.hint').textContent = t('login.otp_sent', { to: result.data.otp_sent_to || '' });
      mount(message, alertBox('info', t('login.new_device')));
      otp.focus();
      return;
    }
    if (!result.ok) {
      mount(message, errorBox(result.error));
      (result.error.code.startsWith('app.otp') ? otp : pin).setAttribute('aria-invalid', 'true');
      return;
    }
    setToken('customer', result.data.token);
    const next = query.get('next');
    location.hash = next && next.startsWith('/') ? `#${next}` : '#/';
  } },
  h('h1', {}, t('login.title')),
  h('p', { class: 'muted' }, t('login.intro')),
  message,
  field(t('login.mobile'), mobile, t('login.mobile_hint')),
  field(t('login.pin'), pin, t('login.pin_hint')),
  otpField,
  submit);
  // The hint element exists for the OTP field only once a code was sent.
  otpField.appendChild(h('div', { class: 'hint', id: `${otp.id}-hint` }));
  otp.setAttribute('aria-describedby', `${otp.id}-hint`);

  mount(view, form,
    h('div', { class: 'card' },
      h('h2', {}, t('login.help_title')),
      h('p', {}, t('login.help_text')),
      h('a', { class: 'btn btn-ghost', href: '#/help' }, t('nav.help'))));
}
