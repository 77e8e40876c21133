import { EventEmitter } from 'node:events';
import { firstEvent } from './first-event';

describe('firstEvent', () => {
  it('resolves at the first event and leaves no listener behind, however often it waits', async () => {
    const stream = new EventEmitter();
    const client = new AbortController();
    for (let i = 0; i < 50; i++) {
      const waiting = firstEvent(
        [
          [stream, 'drain'],
          [stream, 'cancelled'],
        ],
        [client.signal],
      );
      stream.emit('drain');
      await waiting;
    }
    expect(stream.listenerCount('drain')).toBe(0);
    expect(stream.listenerCount('cancelled')).toBe(0);
  });

  it('resolves on an abort, on an error event, and at once for a signal aborted before', async () => {
    const stream = new EventEmitter();
    const client = new AbortController();
    const aborted = firstEvent([[stream, 'drain']], [client.signal]);
    client.abort();
    await aborted;
    const failed = firstEvent([[stream, 'drain']]);
    stream.emit('error', new Error('reset'));
    await failed;
    await firstEvent([[stream, 'drain']], [client.signal]); // would wait forever otherwise
    expect(stream.listenerCount('drain')).toBe(0);
  });
});
