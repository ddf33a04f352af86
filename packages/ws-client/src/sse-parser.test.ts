import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse-parser.js';

const parse = (chunks: string[]) => {
  const events: SseEvent[] = [];
  let comments = 0;
  const p = new SseParser((e) => events.push(e), () => comments++);
  for (const c of chunks) p.push(c);
  return { events, comments, parser: p };
};

describe('SseParser', () => {
  it('dispatches data at a blank line, with the id in force', () => {
    const { events } = parse(['id: a:1\ndata: {"x":1}\n\ndata: two\n\n']);
    expect(events).toEqual([
      { event: 'message', data: '{"x":1}', lastEventId: 'a:1' },
      { event: 'message', data: 'two', lastEventId: 'a:1' },
    ]);
  });

  it('handles CRLF and CR line ends split across chunks, and multi-line data', () => {
    const { events } = parse(['data: a\r', '\ndata: b\r\r', 'event: x\ndata:c\n', '\n']);
    expect(events).toEqual([
      { event: 'message', data: 'a\nb', lastEventId: '' },
      { event: 'x', data: 'c', lastEventId: '' },
    ]);
  });

  it('counts comments, takes retry, and sets the id even for an event without data', () => {
    const { events, comments, parser } = parse([':\n\nretry: 1500\n\nid: z\n\n', ': hb\n\n']);
    expect(events).toEqual([]);
    expect(comments).toBe(2);
    expect(parser.retryMs).toBe(1500);
    expect(parser.lastEventId).toBe('z');
  });

  it('keeps a line cut mid-way until its end arrives', () => {
    const { events } = parse(['da', 'ta: {"long":', '"value"}', '\n', '\n']);
    expect(events.map((e) => e.data)).toEqual(['{"long":"value"}']);
  });
});
