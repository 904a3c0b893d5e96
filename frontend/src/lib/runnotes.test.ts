import { describe, expect, it } from 'vitest';
import { duration, idleNotice } from './runnotes';

describe('what the page says about a run nobody watched', () => {
  const paused = { action: 'paused' as const, step: 1234, after_s: 60 };
  const stopped = { action: 'stopped' as const, step: 1234, after_s: 1800 };

  it('paused: resuming now that someone is back, then resumed', () => {
    expect(idleNotice(paused, 'paused')).toBe('waking');
    expect(idleNotice(paused, 'running')).toBe('resumed');
    expect(idleNotice(paused, 'pending')).toBe('resumed');
    expect(idleNotice(paused, 'stopped')).toBeNull(); // stopped by hand since: the note no longer applies
  });

  it('stopped: only while it stays stopped (Continue makes it active again)', () => {
    expect(idleNotice(stopped, 'stopped')).toBe('stopped');
    expect(idleNotice(stopped, 'running')).toBeNull();
    expect(idleNotice(null, 'paused')).toBeNull();
  });

  it('says how long in words', () => {
    expect(duration(3)).toBe('3 s');
    expect(duration(60.4)).toBe('60 s');
    expect(duration(1800)).toBe('30 min');
    expect(duration(7500)).toBe('2 h 5 min');
    expect(duration(7200, { s: '秒', min: '分钟', h: '小时' })).toBe('2 小时');
  });
});
