/** The alarm banner: shows `alarm`/`urgent_alarm`, hides on `clear_alarm`, snoozes through `ack`. */
import { t } from './i18n';
import type { AlarmEvent } from './realtime';
import type { AlarmSound } from './sound';

export interface AlarmBannerDeps {
  sound: AlarmSound;
  snoozeMins(level: number): number[];
  ack(level: number, group: string, silenceMs: number): void;
  /** True when the server takes our acks, so a snooze reaches every dashboard. */
  sharedSnooze(): boolean;
  now(): number;
}

export class AlarmBanner {
  private current: AlarmEvent | null = null;
  private readonly title: HTMLElement;
  private readonly message: HTMLElement;
  private readonly buttons: HTMLElement;
  private readonly soundHint: HTMLElement;
  private readonly note: HTMLElement;
  /** Local snoozes per group: alarms of this level or lower stay quiet here until `until`. */
  private readonly snoozed = new Map<string, { level: number; until: number }>();

  constructor(
    private readonly el: HTMLElement,
    private readonly deps: AlarmBannerDeps,
  ) {
    this.title = el.querySelector('.alarm-title') as HTMLElement;
    this.message = el.querySelector('.alarm-message') as HTMLElement;
    this.buttons = el.querySelector('.alarm-snooze') as HTMLElement;
    this.soundHint = el.querySelector('.alarm-sound-hint') as HTMLElement;
    this.note = document.getElementById('snooze-note') as HTMLElement;
  }

  get active(): AlarmEvent | null {
    return this.current;
  }

  show(a: AlarmEvent): void {
    const s = this.snoozed.get(a.group);
    if (s && s.until > this.deps.now() && a.level <= s.level) return;
    const same =
      this.current && this.current.level === a.level && this.current.group === a.group && this.current.title === a.title;
    this.current = a;
    this.el.hidden = false;
    this.el.classList.toggle('urgent', a.level >= 2);
    this.el.classList.toggle('warning', a.level < 2);
    this.title.textContent = a.title || (a.level >= 2 ? t('Urgent alarm') : t('Warning'));
    this.message.textContent = a.message;
    this.deps.sound.play(a.level >= 2 ? 'urgent' : 'warning');
    this.refreshSoundHint();
    if (same) return;
    this.buttons.replaceChildren(
      ...this.deps.snoozeMins(a.level).map((m) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = t('Snooze %1 min', m);
        b.addEventListener('click', () => this.snooze(m));
        return b;
      }),
    );
    (this.buttons.firstElementChild as HTMLElement | null)?.focus({ preventScroll: true });
  }

  clear(): void {
    this.current = null;
    this.el.hidden = true;
    this.deps.sound.stop();
  }

  refreshSoundHint(): void {
    this.soundHint.hidden = this.deps.sound.unlocked;
  }

  private snooze(mins: number): void {
    const a = this.current;
    if (!a) return;
    this.deps.ack(a.level, a.group, mins * 60_000);
    this.snoozed.set(a.group, { level: a.level, until: this.deps.now() + mins * 60_000 });
    this.clear();
    this.note.textContent = this.deps.sharedSnooze()
      ? t('Snoozed for %1 minutes on every dashboard.', mins)
      : t('Snoozed for %1 minutes on this device only: sign in with the API secret to snooze for everyone.', mins);
    this.note.hidden = false;
    window.setTimeout(() => (this.note.hidden = true), 15_000);
  }
}
