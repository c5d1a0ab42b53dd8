/**
 * The socket.io connection (spec §5): root namespace `/` (authorize, dataUpdate) and `/alarm`
 * (alarm events, subscribe, ack), multiplexed on one Engine.IO connection. WebSocket first; when a
 * proxy blocks it, `tryAllTransports` falls back to long-polling. Every (re)connect authorizes again
 * and then fetches the full `dataUpdate` over REST (`/api/v2/dataupdate`, gzip): that is the
 * catch-up after a gap. The socket carries only deltas (`fullData: false`), so the server keeps no
 * payload-sized buffer per dashboard; a server that cannot answer the REST call sends it here.
 */
import { Manager, type Socket } from 'socket.io-client';
import { getJson } from './api';
import { type Credential, alarmSubscribePayload, authorizePayload } from './credentials';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live'; transport: string }
  | { kind: 'offline'; reason: string }
  | { kind: 'denied'; wrongCredential: boolean };

export interface AlarmEvent {
  level: number;
  title: string;
  message: string;
  group: string;
  clear?: boolean;
}

export interface RealtimeHandlers {
  onState(s: ConnectionState): void;
  onData(payload: unknown): void;
  onAlarm(kind: 'alarm' | 'urgent_alarm' | 'clear_alarm', a: AlarmEvent): void;
  /** What the `authorize` answer allows (`write_treatment`: the careportal may save). */
  onPermissions?(p: { read: boolean; write: boolean; writeTreatment: boolean }): void;
  /** An `announcement` (a treatment with `eventType: 'Announcement'`, spec followers.md). */
  onAnnouncement?(a: AlarmEvent): void;
}

function toAlarm(raw: unknown): AlarmEvent {
  const r = (raw ?? {}) as Record<string, unknown>;
  return {
    level: typeof r.level === 'number' ? r.level : 0,
    title: typeof r.title === 'string' ? r.title : '',
    message: typeof r.message === 'string' ? r.message : '',
    group: typeof r.group === 'string' ? r.group : 'default',
    clear: r.clear === true,
  };
}

export class Realtime {
  private readonly manager: Manager;
  private readonly root: Socket;
  private readonly alarm: Socket;
  private awaitingAuthorize = false;
  /** Deltas that came while the full payload was being fetched; applied after it, in order. */
  private queued: unknown[] | null = null;
  /** Set when the REST fetch failed: ask the socket for the full payload instead. */
  private fullOverSocket = false;
  /** Counts authorizations, so an answer to an older one is dropped. */
  private round = 0;
  /** Whether the server honours our `ack` (the `/alarm` subscribe answer's `ack`). */
  canAck = false;

  constructor(
    socketPath: string,
    private credential: Credential | null,
    private readonly h: RealtimeHandlers,
  ) {
    this.manager = new Manager(location.origin, {
      path: socketPath,
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10_000,
      timeout: 10_000,
      autoConnect: false,
    });
    this.root = this.manager.socket('/');
    this.alarm = this.manager.socket('/alarm');
    this.wire();
  }

  start(): void {
    this.h.onState({ kind: 'connecting' });
    this.root.connect();
    this.alarm.connect();
  }

  /** Reconnects with another credential (after the user typed one). */
  setCredential(c: Credential | null): void {
    this.credential = c;
    if (this.root.connected) this.authorize();
    else this.root.connect();
    if (this.alarm.connected) this.subscribeAlarms();
    else this.alarm.connect();
  }

  /** Snoozes an alarm for every dashboard (spec §5.4). */
  ack(level: number, group: string, silenceMs: number): void {
    this.alarm.emit('ack', level, group, silenceMs);
    // Servers before 15.0 took the ack on the root namespace.
    this.root.emit('ack', level, group, silenceMs);
  }

  transportName(): string {
    return this.manager.engine?.transport?.name ?? '';
  }

  private live(): void {
    this.h.onState({ kind: 'live', transport: this.transportName() || 'websocket' });
  }

  private authorize(): void {
    this.awaitingAuthorize = true;
    const round = ++this.round;
    const overRest = !this.fullOverSocket;
    this.queued = overRest ? [] : null;
    const payload = { ...authorizePayload(this.credential), ...(overRest ? { fullData: false } : {}) };
    this.root.emit('authorize', payload, (ack: unknown) => {
      this.awaitingAuthorize = false;
      const a = (ack ?? {}) as Record<string, unknown>;
      if (a.read === false) {
        this.queued = null;
        this.h.onState({ kind: 'denied', wrongCredential: false });
      } else {
        this.live();
        if (overRest) void this.fetchFull(round);
      }
      this.h.onPermissions?.({ read: a.read !== false, write: a.write === true, writeTreatment: a.write_treatment === true });
    });
  }

  /** The full payload over REST, then the deltas that came meanwhile. */
  private async fetchFull(round: number): Promise<void> {
    let full: unknown;
    try {
      full = await getJson('api/v2/dataupdate', this.credential);
    } catch {
      if (round !== this.round) return;
      // An older server, or a proxy that blocks it: the socket sends the full payload instead.
      this.fullOverSocket = true;
      this.authorize();
      return;
    }
    if (round !== this.round) return;
    const queued = this.queued ?? [];
    this.queued = null;
    this.h.onData(full);
    for (const d of queued) this.h.onData(d);
  }

  private data(p: unknown): void {
    if (this.queued) this.queued.push(p);
    else this.h.onData(p);
  }

  private subscribeAlarms(): void {
    this.alarm.emit('subscribe', alarmSubscribePayload(this.credential), (ack: unknown) => {
      const a = (ack ?? {}) as Record<string, unknown>;
      // The web form answers `ack: <bool>`; an accessToken subscription may ack when successful.
      this.canAck = a.ack === true || (a.ack === undefined && a.success === true && this.credential?.kind === 'token');
    });
  }

  private wire(): void {
    this.root.on('connect', () => {
      this.live();
      this.manager.engine.once('upgrade', () => this.live());
      this.authorize();
    });
    this.root.on('dataUpdate', (p: unknown) => this.data(p));
    this.root.on('disconnect', (reason: string) => {
      if (reason === 'io server disconnect') {
        // Nightscout answers a bad secret by disconnecting without an ack (spec §5.2).
        if (this.awaitingAuthorize) {
          this.awaitingAuthorize = false;
          this.h.onState({ kind: 'denied', wrongCredential: this.credential !== null });
          return;
        }
        this.h.onState({ kind: 'offline', reason: 'closed by the server' });
        setTimeout(() => this.root.connect(), 5000);
        return;
      }
      this.h.onState({ kind: 'offline', reason });
    });
    this.root.on('connect_error', () => this.h.onState({ kind: 'offline', reason: 'cannot reach the server' }));
    this.alarm.on('connect', () => this.subscribeAlarms());
    this.alarm.on('disconnect', (reason: string) => {
      // socket.io does not reconnect by itself after a server-side disconnect (e.g. a restart).
      if (reason === 'io server disconnect') setTimeout(() => this.alarm.connect(), 5000);
    });
    for (const s of [this.alarm, this.root]) {
      for (const kind of ['alarm', 'urgent_alarm', 'clear_alarm'] as const) {
        s.on(kind, (raw: unknown) => this.h.onAlarm(kind, toAlarm(raw)));
      }
      s.on('announcement', (raw: unknown) => this.h.onAnnouncement?.(toAlarm(raw)));
    }
  }
}
