// The live log: GET /v1/stream over a WebSocket, resumed from the last record seen after a
// drop, so a board misses nothing and sees nothing twice.

export class LogStream {
  /**
   * @param {string[]} types event types to follow (empty: all)
   * @param {(record: any) => void} onRecord
   * @param {(connected: boolean) => void} onState
   */
  constructor(types, onRecord, onState) {
    this.types = types;
    this.onRecord = onRecord;
    this.onState = onState;
    /** @type {number | null} the next seq to ask for; null: from the head */
    this.from = null;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.closed = false;
    this.delay = 500;
    this.open();
  }

  open() {
    if (this.closed) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams();
    if (this.from !== null) q.set('from', String(this.from));
    if (this.types.length > 0) q.set('types', this.types.join(','));
    const socket = new WebSocket(`${scheme}//${location.host}/v1/stream?${q}`);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 500;
      this.onState(true);
    };
    socket.onmessage = (ev) => {
      const record = JSON.parse(String(ev.data));
      if (typeof record.seq === 'number') this.from = record.seq + 1;
      this.onRecord(record);
    };
    socket.onclose = () => {
      this.socket = null;
      if (this.closed) return;
      this.onState(false);
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  close() {
    this.closed = true;
    this.socket?.close(1000);
  }
}
