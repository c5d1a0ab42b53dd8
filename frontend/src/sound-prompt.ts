/**
 * The "turn on the alarm sound" prompts: browsers start audio only in a user gesture, so the first
 * tap or key press unlocks the sound, and the prompts go away once it is unlocked.
 */
import type { AlarmBanner } from './alarm-banner';
import type { AlarmSound } from './sound';

export function wireSoundPrompts(sound: AlarmSound, banner: AlarmBanner, button: HTMLElement): void {
  // Audio may start only in a user gesture. The sound prompts disappear only once the tap is
  // over: hiding them mid-tap would move the snooze buttons out from under the finger.
  let pointerDown = false;
  const refreshSound = (): void => {
    if (pointerDown) return;
    banner.refreshSoundHint();
    button.hidden = sound.unlocked;
  };
  const tapOver = (): void => {
    window.setTimeout(() => {
      pointerDown = false;
      refreshSound();
    }, 0);
  };
  window.addEventListener('pointerdown', () => {
    pointerDown = true;
    sound.unlock();
  }, { passive: true });
  window.addEventListener('pointerup', tapOver, { passive: true });
  window.addEventListener('pointercancel', tapOver, { passive: true });
  window.addEventListener('keydown', () => sound.unlock());
  window.addEventListener('keyup', refreshSound);
  sound.onUnlocked = refreshSound;
  button.addEventListener('click', () => {
    sound.unlock();
    sound.chime();
  });
}
