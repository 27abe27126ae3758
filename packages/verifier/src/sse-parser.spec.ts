import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('parses events split across arbitrary chunk boundaries', () => {
    const stream = 'id: 1\nevent: revocation\ndata: {"sid":"a"}\n\n: ping\n\nid: 2\nevent: revocation\ndata: {"sid":"b"}\n\n';
    for (let size = 1; size <= stream.length; size++) {
      const sut = new SseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...sut.push(stream.slice(i, i + size)));
      expect(events, `chunk size ${size}`).toEqual([
        { id: '1', event: 'revocation', data: '{"sid":"a"}' },
        { id: '2', event: 'revocation', data: '{"sid":"b"}' },
      ]);
    }
  });

  it('accepts CRLF and CR line endings, also with CRLF split across chunks', () => {
    const sut = new SseParser();
    const events = [...sut.push('event: ready\r'), ...sut.push('\ndata: {}\r\n\r'), ...sut.push('\ndata: x\r\r')];
    expect(events).toEqual([
      { id: undefined, event: 'ready', data: '{}' },
      { id: undefined, event: 'message', data: 'x' },
    ]);
  });

  it('joins multi-line data, keeps the last id across events, ignores comments and unknown fields', () => {
    const sut = new SseParser();
    const events = sut.push(': hello\nid: 7\ndata: a\ndata:b\nfoo: bar\n\ndata: c\n\n');
    expect(events).toEqual([
      { id: '7', event: 'message', data: 'a\nb' },
      { id: '7', event: 'message', data: 'c' },
    ]);
  });

  it('does not dispatch a block without data, and reads retry', () => {
    const sut = new SseParser();
    expect(sut.push('event: revocation\nretry: 1500\n\n')).toEqual([]);
    expect(sut.retryMs).toBe(1500);
  });
});
