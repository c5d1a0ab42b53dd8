/** "Keep screen on": a screen wake lock while the dashboard is visible (secure contexts only). */
interface Sentinel {
  release(): Promise<void>;
  addEventListener(type: 'release', cb: () => void): void;
}
interface WakeLockApi {
  request(type: 'screen'): Promise<Sentinel>;
}

export class ScreenWakeLock {
  private sentinel: Sentinel | null = null;
  private wanted = false;

  constructor(private readonly onChange: (held: boolean) => void) {
    document.addEventListener('visibilitychange', () => {
      if (this.wanted && document.visibilityState === 'visible' && !this.sentinel) void this.acquire();
    });
  }

  static supported(): boolean {
    return 'wakeLock' in navigator;
  }

  get held(): boolean {
    return this.sentinel !== null;
  }

  async toggle(): Promise<void> {
    this.wanted = !this.wanted;
    if (this.wanted) await this.acquire();
    else {
      await this.sentinel?.release();
      this.sentinel = null;
      this.onChange(false);
    }
  }

  private async acquire(): Promise<void> {
    try {
      const api = (navigator as unknown as { wakeLock: WakeLockApi }).wakeLock;
      const s = await api.request('screen');
      this.sentinel = s;
      s.addEventListener('release', () => {
        this.sentinel = null;
        this.onChange(false);
      });
      this.onChange(true);
    } catch {
      this.wanted = false;
      this.onChange(false);
    }
  }
}
