import { describe, expect, it } from 'vitest';
import { ApiError, accessToken, errorMessage, streamUrl } from './api';
import { memoryStorage } from './fixtures';

describe('errorMessage', () => {
  it("uses the server's detail", () => {
    const e = errorMessage(429, { detail: 'too many concurrent runs (limit 4)' });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(429);
    expect(e.message).toBe('too many concurrent runs (limit 4)');
  });

  it('keeps the field errors of a 422', () => {
    const e = errorMessage(422, {
      detail: 'model.hidden.0: Input should be less than or equal to 256',
      errors: [{ field: 'model.hidden.0', message: 'Input should be less than or equal to 256', type: 'less_than_equal' }],
    });
    expect(e.message).toMatch(/model\.hidden\.0/);
    expect(e.fieldErrors).toEqual([{ field: 'model.hidden.0', message: 'Input should be less than or equal to 256' }]);
  });

  it("reads FastAPI's default validation body too", () => {
    const e = errorMessage(422, { detail: [{ loc: ['body', 'steps'], msg: 'Input should be greater than 0', type: 'x' }] });
    expect(e.message).toBe('steps: Input should be greater than 0');
  });

  it('falls back to the status for other bodies', () => {
    expect(errorMessage(502, undefined).message).toBe('HTTP 502');
    expect(errorMessage(500, 'Internal Server Error').message).toBe('HTTP 500: Internal Server Error');
  });
});

describe('streamUrl', () => {
  it('uses the page host, ws or wss by protocol', () => {
    expect(streamUrl('abc', { protocol: 'http:', host: 'localhost:8000' })).toBe('ws://localhost:8000/api/runs/abc/stream');
    expect(streamUrl('abc', { protocol: 'https:', host: 'glass.example' })).toBe('wss://glass.example/api/runs/abc/stream');
    expect(streamUrl('a/b', { protocol: 'http:', host: 'h' })).toBe('ws://h/api/runs/a%2Fb/stream');
  });
});

describe('access token', () => {
  it('comes from ?token= and is remembered for later visits', () => {
    const store = memoryStorage();
    expect(accessToken('?token=s3cret-token', store)).toBe('s3cret-token');
    expect(accessToken('', store)).toBe('s3cret-token');
    expect(accessToken('', memoryStorage())).toBeNull();
  });

  it('rides on the stream URL as a query parameter', () => {
    expect(streamUrl('abc', { protocol: 'http:', host: 'h' }, 'a b&c')).toBe('ws://h/api/runs/abc/stream?token=a%20b%26c');
    expect(streamUrl('abc', { protocol: 'http:', host: 'h' }, null)).toBe('ws://h/api/runs/abc/stream');
  });
});
