import { AuthError } from '../../client/src/gatehouse-client.js';
import { h, uid, type Child } from './dom.js';
import { errorMessage } from './messages.js';

export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'search' | 'textarea' | 'select' | 'checkbox';
  autocomplete?: string;
  required?: boolean;
  minlength?: number;
  maxlength?: number;
  value?: string;
  hint?: string;
  options?: [value: string, label: string][];
}

export type Values = Record<string, string>;

export interface FormSpec {
  fields: FieldSpec[];
  submit: string;
  /** Returns a success message to show, or nothing (when it navigates away). */
  onSubmit: (values: Values) => Promise<string | void>;
  /** Extra check before sending (e.g. two passwords equal): an error message per field. */
  check?: (values: Values) => Record<string, string> | undefined;
  danger?: boolean;
  inline?: boolean;
  label?: string;
}

/**
 * A labelled, keyboard-usable form: every input has a <label>, hints and errors are tied to it
 * with aria-describedby, the form-level outcome is announced (role=alert / status), and the
 * button is disabled while the request runs so a double press sends once.
 */
export function form(spec: FormSpec): HTMLFormElement {
  const outcome = h('p', { class: 'outcome', 'aria-live': 'polite' });
  const errors = new Map<string, HTMLElement>();
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>();
  const rows = spec.fields.map((field) => {
    const id = uid(field.name);
    const error = h('p', { class: 'field-error', id: `${id}-error` });
    const hint = field.hint ? h('p', { class: 'hint', id: `${id}-hint` }, field.hint) : null;
    const common = {
      id,
      name: field.name,
      required: field.required ?? false,
      autocomplete: field.autocomplete,
      'aria-describedby': [hint ? `${id}-hint` : '', `${id}-error`].join(' ').trim(),
    };
    const input =
      field.type === 'textarea'
        ? h('textarea', { ...common, maxlength: field.maxlength, rows: 2 }, field.value ?? '')
        : field.type === 'select'
          ? h('select', common, (field.options ?? []).map(([value, text]) => h('option', { value, selected: value === field.value }, text)))
          : h('input', {
              ...common,
              type: field.type ?? 'text',
              value: field.type === 'checkbox' ? 'true' : field.value,
              minlength: field.minlength,
              maxlength: field.maxlength,
            });
    inputs.set(field.name, input);
    errors.set(field.name, error);
    const label = h('label', { for: id }, field.label);
    return field.type === 'checkbox'
      ? h('div', { class: 'field check' }, input, label, hint, error)
      : h('div', { class: 'field' }, label, input, hint, error);
  });
  const button = h('button', { type: 'submit', class: spec.danger ? 'danger' : '' }, spec.submit);
  const element = h('form', { class: spec.inline ? 'form inline' : 'form', novalidate: true, 'aria-label': spec.label }, rows, h('div', { class: 'actions' }, button), outcome);

  const show = (name: string, message: string) => {
    const input = inputs.get(name);
    errors.get(name)?.replaceChildren(message);
    input?.setAttribute('aria-invalid', 'true');
  };
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      for (const [name, error] of errors) {
        error.replaceChildren();
        inputs.get(name)?.removeAttribute('aria-invalid');
      }
      outcome.replaceChildren();
      outcome.className = 'outcome';
      const values: Values = {};
      for (const [name, input] of inputs) {
        values[name] = input instanceof HTMLInputElement && input.type === 'checkbox' ? String(input.checked) : input.value;
      }
      const problems = { ...browserProblems(inputs), ...spec.check?.(values) };
      if (Object.keys(problems).length) {
        for (const [name, message] of Object.entries(problems)) show(name, message);
        inputs.get(Object.keys(problems)[0])?.focus();
        return;
      }
      button.disabled = true;
      element.setAttribute('aria-busy', 'true');
      try {
        const message = await spec.onSubmit(values);
        if (message) say(outcome, 'success', message);
      } catch (error) {
        reportError(outcome, error, show);
      } finally {
        button.disabled = false;
        element.removeAttribute('aria-busy');
      }
    })();
  });
  return element;
}

function browserProblems(inputs: Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const [name, input] of inputs) {
    if (!input.checkValidity()) problems[name] = input.validationMessage;
  }
  return problems;
}

export function say(target: HTMLElement, kind: 'success' | 'error', message: Child): void {
  target.className = `outcome ${kind}`;
  target.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  target.replaceChildren(...[message].filter(Boolean).map((part) => (typeof part === 'object' ? (part as Node) : String(part))));
}

/** Shows an AuthError in the form's outcome line, and its field details beside the fields. */
export function reportError(outcome: HTMLElement, error: unknown, field?: (name: string, message: string) => void): void {
  if (!(error instanceof AuthError)) {
    say(outcome, 'error', 'Something went wrong. Please try again.');
    return;
  }
  say(outcome, 'error', errorMessage(error.code, error.retryAfter, error.message));
  for (const detail of error.details ?? []) field?.(detail.field, detail.message);
}

/** A line saying what went wrong, for a section whose data could not be loaded. */
export function errorLine(error: unknown): HTMLElement {
  const outcome = h('p', { class: 'outcome' });
  reportError(outcome, error);
  return outcome;
}

/** A button that runs an action and shows its outcome next to itself. */
export function action(text: string, run: () => Promise<string | void>, options: { danger?: boolean; label?: string } = {}): HTMLElement {
  const outcome = h('span', { class: 'outcome', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: options.danger ? 'danger' : 'secondary', 'aria-label': options.label }, text);
  button.addEventListener('click', () => {
    button.disabled = true;
    run()
      .then((message) => message && say(outcome, 'success', message))
      .catch((error: unknown) => reportError(outcome, error))
      .finally(() => (button.disabled = false));
  });
  return h('span', { class: 'action' }, button, outcome);
}
