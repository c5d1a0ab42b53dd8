/**
 * The careportal dialog: enter a treatment (BG check, carbs, boluses, notes, device changes, temp
 * targets, exercise, announcements) and POST it to `/api/v1/treatments` with the stored credential.
 * Every open dashboard shows it through the socket. Offline-safe: an entry is kept on the device
 * until the server has it; a failed save says so, keeps the form filled, and can be retried.
 */
import { HttpError, Unauthorized, postJson } from './api';
import { EVENT_TYPES, type Field, PendingStore, buildTreatment, eventType } from './careportal-form';
import type { Credential } from './credentials';
import { t } from './i18n';
import { type Units, unitsLabel } from './units';

export interface CareportalDeps {
  credential(): Credential | null;
  units(): Units;
  storage: Storage | undefined;
}

const FIELDS: { id: Field; label: string; kind: 'number' | 'text'; step?: string; unit?: (u: Units) => string }[] = [
  { id: 'glucose', label: 'Glucose Reading', kind: 'number', step: 'any', unit: unitsLabel },
  { id: 'carbs', label: 'Carbs Given', kind: 'number', step: '1', unit: () => 'g' },
  { id: 'insulin', label: 'Insulin Given', kind: 'number', step: '0.05', unit: () => 'U' },
  { id: 'targetBottom', label: 'Target Bottom', kind: 'number', step: 'any', unit: unitsLabel },
  { id: 'targetTop', label: 'Target Top', kind: 'number', step: 'any', unit: unitsLabel },
  { id: 'duration', label: 'Duration', kind: 'number', step: '1', unit: () => t('minutes') },
  { id: 'reason', label: 'Reason', kind: 'text' },
  { id: 'notes', label: 'Notes', kind: 'text' },
];

function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export class Careportal {
  private dialog: HTMLDialogElement | null = null;
  private readonly pending: PendingStore;
  private timeTouched = false;
  /** The time of an entry whose save failed: saving it again sends the same entry. */
  private frozenAt: number | null = null;
  private retrying: Promise<void> | null = null;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly notice: HTMLElement,
    private readonly deps: CareportalDeps,
  ) {
    this.pending = new PendingStore(deps.storage);
    button.addEventListener('click', () => this.open());
    notice.querySelector('button')?.addEventListener('click', () => void this.retryPending());
    this.renderNotice();
  }

  /** Shows the button only to a caller allowed to create treatments. */
  setAllowed(allowed: boolean): void {
    this.button.hidden = !allowed;
    this.renderNotice();
  }

  private renderNotice(): void {
    const list = this.pending.all();
    this.notice.hidden = list.length === 0;
    const text = this.notice.querySelector('span');
    const names = list.map((x) => t(String(x.eventType))).join(', ');
    if (text) text.textContent = t('Not saved yet, kept on this device: %1', names);
  }

  /**
   * Sends every kept entry again; each one saved leaves the list. One run at a time: a Retry tap
   * while the automatic retry (on sign-in) is in flight waits for it and then tries what is left,
   * so an entry is never posted twice at once.
   */
  async retryPending(): Promise<void> {
    while (this.retrying) await this.retrying;
    this.retrying = this.sendPending();
    try {
      await this.retrying;
    } finally {
      this.retrying = null;
    }
  }

  private async sendPending(): Promise<void> {
    for (const tr of this.pending.all()) {
      try {
        await postJson('api/v1/treatments', this.deps.credential(), tr);
        this.pending.remove(tr);
      } catch {
        break;
      }
    }
    this.renderNotice();
  }

  private build(): HTMLDialogElement {
    const d = document.createElement('dialog');
    d.id = 'careportal';
    d.setAttribute('aria-labelledby', 'cp-title');
    const options = EVENT_TYPES.map((e) => `<option value="${e.value}">${t(e.value)}</option>`).join('');
    const fields = FIELDS.map(
      (f) => `<div class="cp-field" data-field="${f.id}"><label for="cp-${f.id}">${t(f.label)}<span class="cp-unit"></span></label>` +
        `<input id="cp-${f.id}" name="${f.id}" ${f.kind === 'number' ? `type="number" inputmode="decimal" min="0" step="${f.step}"` : 'type="text"'}></div>`,
    ).join('');
    d.innerHTML = `<form method="dialog" class="cp-form" novalidate>
<h2 id="cp-title">${t('Careportal')}</h2>
<div class="cp-field"><label for="cp-eventType">${t('Event Type')}</label><select id="cp-eventType" name="eventType">${options}</select></div>
<div class="cp-field"><label for="cp-at">${t('Event Time')}</label><input id="cp-at" name="at" type="datetime-local"></div>
${fields}
<div class="cp-field"><label for="cp-enteredBy">${t('Entered By')}</label><input id="cp-enteredBy" name="enteredBy" type="text" autocomplete="name"></div>
<p id="cp-status" class="error" role="alert"></p>
<div class="row"><button type="submit" id="cp-submit">${t('Save')}</button><button type="button" id="cp-cancel">${t('Cancel')}</button></div>
</form>`;
    document.body.append(d);
    const form = d.querySelector('form') as HTMLFormElement;
    const select = d.querySelector('#cp-eventType') as HTMLSelectElement;
    select.addEventListener('change', () => this.showFields());
    d.querySelector('#cp-at')?.addEventListener('input', () => (this.timeTouched = true));
    d.querySelector('#cp-cancel')?.addEventListener('click', () => d.close());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    return d;
  }

  private input(id: string): HTMLInputElement {
    return (this.dialog as HTMLDialogElement).querySelector(`#cp-${id}`) as HTMLInputElement;
  }

  private showFields(): void {
    const d = this.dialog as HTMLDialogElement;
    const et = eventType(this.input('eventType').value);
    for (const f of FIELDS) {
      const box = d.querySelector(`[data-field="${f.id}"]`) as HTMLElement;
      box.hidden = !et?.fields.includes(f.id);
      (box.querySelector('.cp-unit') as HTMLElement).textContent = f.unit ? ` (${f.unit(this.deps.units())})` : '';
    }
  }

  open(): void {
    this.dialog ??= this.build();
    const d = this.dialog;
    if (!d.open) {
      if (!this.timeTouched) this.input('at').value = localInputValue(Date.now());
      this.input('enteredBy').value ||= this.deps.storage?.getItem('ferroscout.enteredBy') ?? '';
      this.showFields();
      d.showModal();
      this.input('eventType').focus();
    }
  }

  private status(text: string): void {
    ((this.dialog as HTMLDialogElement).querySelector('#cp-status') as HTMLElement).textContent = text;
  }

  private async submit(): Promise<void> {
    const d = this.dialog as HTMLDialogElement;
    const values: Partial<Record<Field, string>> = {};
    for (const f of FIELDS) values[f.id] = this.input(f.id).value;
    const at = this.timeTouched ? new Date(this.input('at').value).getTime() : (this.frozenAt ?? Date.now());
    const enteredBy = this.input('enteredBy').value;
    const built = buildTreatment({ eventType: this.input('eventType').value, at, enteredBy, values }, this.deps.units());
    if (!built.ok) {
      this.status(t(built.error));
      if (built.field) this.input(built.field).focus();
      return;
    }
    try {
      this.deps.storage?.setItem('ferroscout.enteredBy', enteredBy);
    } catch {
      /* private mode */
    }
    // Kept on the device first: a reload or a lost answer does not lose it.
    this.pending.add(built.treatment);
    const submit = d.querySelector('#cp-submit') as HTMLButtonElement;
    submit.disabled = true;
    this.status(t('Saving…'));
    try {
      await postJson('api/v1/treatments', this.deps.credential(), built.treatment);
      this.pending.remove(built.treatment);
      this.status('');
      (d.querySelector('form') as HTMLFormElement).reset();
      this.timeTouched = false;
      this.frozenAt = null;
      d.close();
      this.announce(t('Saved: %1', t(built.treatment.eventType as string)));
    } catch (e) {
      if (e instanceof Unauthorized) {
        this.pending.remove(built.treatment);
        this.status(t('Not saved: this sign-in may not enter treatments.'));
      } else if (e instanceof HttpError) {
        this.pending.remove(built.treatment);
        this.status(t('Not saved: %1', e.message));
      } else {
        this.frozenAt = at;
        this.status(t('Not saved: cannot reach the server. The entry is kept on this device; press Save to try again.'));
      }
    } finally {
      submit.disabled = false;
      this.renderNotice();
    }
  }

  private announce(text: string): void {
    const el = document.getElementById('cp-saved');
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    window.setTimeout(() => (el.hidden = true), 8000);
  }
}
