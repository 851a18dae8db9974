import { Writable } from 'node:stream';
import pino from 'pino';
import { prettyLine, prettyStream, rootLogger } from './logger';

describe('logs', () => {
  it('writes one readable line per event: time, level, context, message, other fields', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 30,
        time: Date.UTC(2026, 11, 2, 10, 15, 51, 123),
        pid: 1,
        hostname: 'h',
        context: 'Jobs',
        msg: 'job started',
        jobId: 'a b',
      }),
      false,
    );
    expect(line).toBe('10:15:51.123 INFO  [Jobs] job started jobId="a b"\n');
  });

  it('indents the stack of an error below its line, and passes lines that are not JSON through', () => {
    const line = prettyLine(
      JSON.stringify({ level: 50, time: 0, msg: 'failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } }),
      false,
    );
    expect(line.split('\n')).toEqual(['00:00:00.000 ERROR failed', '    Error: boom', '        at x', '']);
    expect(prettyLine('not json', false)).toBe('not json\n');
  });

  it('colours the level on a terminal', () => {
    expect(prettyLine(JSON.stringify({ level: 40, time: 0, msg: 'careful' }), true)).toContain('\x1b[33mWARN \x1b[0m');
  });

  it('a pino logger on the pretty stream writes pretty lines; the root logger is one a level and format', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    pino({ level: 'info' }, prettyStream(sink, false)).child({ context: 'EmbeddedPostgres' }).info('started');
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[EmbeddedPostgres\] started\n$/);
    const a = rootLogger({ logLevel: 'warn', logFormat: 'json' });
    expect(rootLogger({ logLevel: 'warn', logFormat: 'json' })).toBe(a);
    expect(a.level).toBe('warn');
  });
});
