/**
 * Alarm sound, synthesised with Web Audio (no audio file to download). Browsers allow audio only
 * after a user gesture, so `unlock()` is called from the first tap or key press.
 */
export type SoundKind = 'warning' | 'urgent';

type AudioCtor = typeof AudioContext;

export class AlarmSound {
  private ctx: AudioContext | null = null;
  private timer: number | undefined;
  private playing: SoundKind | null = null;
  /** Called once audio is actually running (resume() settles asynchronously). */
  onUnlocked: () => void = () => {};

  get unlocked(): boolean {
    return this.ctx !== null && this.ctx.state === 'running';
  }

  unlock(): void {
    if (!this.ctx) {
      const w = window as unknown as { AudioContext?: AudioCtor; webkitAudioContext?: AudioCtor };
      const Ctor = w.AudioContext ?? w.webkitAudioContext;
      if (!Ctor) return;
      this.ctx = new Ctor();
    }
    void this.ctx.resume().then(() => this.onUnlocked(), () => {});
    if (this.playing) this.loop(this.playing);
  }

  /** A short chime confirming that sound works. */
  chime(): void {
    if (this.unlocked) this.beep(660, 0.05, 0.15);
  }

  play(kind: SoundKind): void {
    if (this.playing === kind) return;
    this.stop();
    this.playing = kind;
    this.loop(kind);
  }

  stop(): void {
    this.playing = null;
    window.clearTimeout(this.timer);
    this.timer = undefined;
  }

  get isPlaying(): boolean {
    return this.playing !== null;
  }

  private loop(kind: SoundKind): void {
    window.clearTimeout(this.timer);
    if (this.unlocked) {
      if (kind === 'urgent') {
        this.beep(880, 0, 0.18);
        this.beep(660, 0.22, 0.18);
        this.beep(880, 0.44, 0.18);
      } else {
        this.beep(740, 0, 0.25);
      }
      navigator.vibrate?.(kind === 'urgent' ? [300, 100, 300] : [200]);
    }
    this.timer = window.setTimeout(() => this.playing === kind && this.loop(kind), kind === 'urgent' ? 1400 : 4000);
  }

  private beep(freq: number, at: number, dur: number): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const t = ctx.currentTime + at;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.35, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + dur);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + dur + 0.02);
  }
}
