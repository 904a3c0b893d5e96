import { describe, expect, it } from 'vitest';
import {
  withLiveTiles,
  absoluteLink,
  changesText,
  csvFileName,
  hasRoomFragment,
  nameLength,
  nameProblem,
  NAME_MAX,
  newestPerStudent,
  nextSort,
  runCounts,
  taughtEnded,
  parseRoomFragment,
  RoomStore,
  sortRuns,
  stepText,
  valueText,
  type RoomRun,
} from './rooms';
import type { Tile } from './roomtiles';
import { memoryStorage } from './fixtures';

const ID = '0123456789abcdef0123456789abcdef';
const KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';

function run(over: Partial<RoomRun> & { student: string }): RoomRun {
  return {
    run_id: over.run_id ?? over.student,
    student_id: `s-${over.student}`,
    name: `${over.student}'s run`,
    status: 'running',
    step: 0,
    steps_total: 100,
    created_at: '2026-01-01T00:00:00Z',
    summary: {},
    changes: [],
    ...over,
  };
}

describe('room links', () => {
  it('reads a join link and a teacher link from the fragment', () => {
    expect(parseRoomFragment(`#room=${ID}`)).toEqual({ room: ID, teacher: null });
    expect(parseRoomFragment(`#room=${ID}&teacher=${KEY}`)).toEqual({ room: ID, teacher: KEY });
    expect(parseRoomFragment(`room=${ID.toUpperCase()}`)).toEqual({ room: ID, teacher: null });
  });

  it('refuses a malformed id, and tells a room fragment from others', () => {
    expect(parseRoomFragment('#room=abc')).toBeNull();
    expect(parseRoomFragment(`#room=${ID}x`)).toBeNull();
    expect(parseRoomFragment(`#room=abc&teacher=${KEY}`)).toBeNull();
    expect(parseRoomFragment('#section-2')).toBeNull();
    expect(hasRoomFragment('#room=abc')).toBe(true);
    expect(hasRoomFragment('#top')).toBe(false);
    expect(hasRoomFragment('')).toBe(false);
  });

  it('keeps the room id of a link whose teacher key is garbled, marked so (the student can still join)', () => {
    expect(parseRoomFragment(`#room=${ID}&teacher=short`)).toEqual({ room: ID, teacher: null, malformedTeacher: true });
    expect(parseRoomFragment(`#room=${ID}&teacher=${KEY}!`)).toEqual({ room: ID, teacher: null, malformedTeacher: true });
    expect(parseRoomFragment(`#room=${ID}&teacher=`)).toEqual({ room: ID, teacher: null });
  });

  it('makes absolute links of the server paths', () => {
    expect(absoluteLink('http://h:8000', `/#room=${ID}`)).toBe(`http://h:8000/#room=${ID}`);
    expect(absoluteLink('http://h:8000/', `#room=${ID}`)).toBe(`http://h:8000/#room=${ID}`);
  });
});

describe('RoomStore', () => {
  it('keeps the rooms taught, newest first, and their keys', () => {
    const store = new RoomStore(memoryStorage());
    store.teach({ id: ID, key: KEY, title: 'A', expires_at: '' });
    store.teach({ id: 'f'.repeat(32), key: KEY, title: 'B', expires_at: '' });
    store.teach({ id: ID, key: KEY, title: 'A again', expires_at: '' });
    expect(store.taught().map((r) => r.title)).toEqual(['A again', 'B']);
    expect(store.teacherKey(ID)).toBe(KEY);
    store.forgetTaught(ID);
    expect(store.teacherKey(ID)).toBeNull();
  });

  it('marks a taught room ended; one past its end is ended too', () => {
    const store = new RoomStore(memoryStorage());
    const future = new Date(Date.now() + 3_600_000).toISOString();
    store.teach({ id: ID, key: KEY, title: 'A', expires_at: future });
    expect(taughtEnded(store.taught()[0])).toBe(false);
    store.markEnded(ID);
    expect(store.taught()[0]).toMatchObject({ id: ID, key: KEY, ended: true });
    expect(taughtEnded(store.taught()[0])).toBe(true);
    expect(taughtEnded({ id: ID, key: KEY, title: 'B', expires_at: '2020-01-01T00:00:00Z' })).toBe(true);
    expect(taughtEnded({ id: ID, key: KEY, title: 'B', expires_at: '' })).toBe(false);
  });

  it('shows only a room it has the key of', () => {
    const store = new RoomStore(memoryStorage());
    store.show(ID);
    expect(store.shown()).toBeNull();
    store.teach({ id: ID, key: KEY, title: 'A', expires_at: '' });
    expect(store.shown()).toBe(ID);
  });

  it('keeps a joined room by its id; the active room is one it joined', () => {
    const store = new RoomStore(memoryStorage());
    store.setActive(ID);
    expect(store.active()).toBeNull();
    const student = { id: 'st1', name: 'Ada', joined_at: '' };
    store.join({ room: ID, owner_key: 'k1', student, title: 'Class', version: 2 });
    store.setActive(ID);
    expect(store.active()).toBe(ID);
    expect(store.joined(ID)?.owner_key).toBe('k1');
    expect(store.joined('f'.repeat(32))).toBeNull();
    store.setActive(null);
    expect(store.active()).toBeNull();
    expect(store.joined(ID)?.version).toBe(2); // leaving keeps the student, for the link to bring it back
  });

  it('survives garbage in storage', () => {
    const raw = memoryStorage();
    raw.setItem('glassnet-rooms-teaching', '{not json');
    raw.setItem(`glassnet-room-student:${ID}`, '"a string"');
    const store = new RoomStore(raw);
    expect(store.taught()).toEqual([]);
    expect(store.joined(ID)).toBeNull();
  });
});

describe('a student’s name', () => {
  it('counts code points after trimming, as the server does (an emoji is one character)', () => {
    const emoji = '😀'.repeat(NAME_MAX);
    expect(emoji.length).toBe(2 * NAME_MAX); // what maxlength would count
    expect(nameLength(emoji)).toBe(NAME_MAX);
    expect(nameProblem(emoji)).toBeNull();
    expect(nameProblem(`${emoji}😀`)).toBe('long');
    expect(nameProblem(`  ${'a'.repeat(NAME_MAX)}  `)).toBeNull();
    expect(nameProblem('a'.repeat(NAME_MAX + 1))).toBe('long');
    expect(nameProblem('   ')).toBe('empty');
  });
});

describe('the teacher’s run buttons', () => {
  it('count the active runs, and the interrupted newest runs of the students', () => {
    const runs = [
      run({ student: 'Ada', run_id: 'a2', status: 'interrupted' }),
      run({ student: 'Bo', run_id: 'b2', status: 'finished' }),
      run({ student: 'Bo', run_id: 'b1', status: 'interrupted' }), // an older run of Bo's: not counted
      run({ student: 'Cy', run_id: 'c1', status: 'interrupted' }),
    ];
    expect(newestPerStudent(runs).map((r) => r.run_id)).toEqual(['a2', 'b2', 'c1']);
    expect(runCounts(runs)).toEqual({ active: 0, interrupted: 2 });
    expect(runCounts([run({ student: 'Ada', status: 'paused' }), run({ student: 'Bo', status: 'pending' })])).toEqual({
      active: 2,
      interrupted: 0,
    });
    expect(runCounts([])).toEqual({ active: 0, interrupted: 0 });
  });
});

describe('the results table', () => {
  const runs = [
    run({ student: 'bob', step: 50, summary: { test_loss: { value: 0.3, step: 50 }, test_acc: { value: 0.8, step: 50 } } }),
    run({ student: 'Ada', step: 100, summary: { test_loss: { value: 0.1, step: 100 }, test_acc: { value: 0.95, step: 100 } } }),
    run({ student: 'cy', step: 10, summary: {} }),
    run({ student: 'dee', step: 70, summary: { test_loss: { value: 0.2, step: 70 } }, changes: [{ field: 'seed', setup: 0, run: 1 }] }),
  ];
  const names = (rs: RoomRun[]) => rs.map((r) => r.student);

  it('sorts by name without regard to case, by numbers as numbers', () => {
    expect(names(sortRuns(runs, { column: 'student', descending: false }))).toEqual(['Ada', 'bob', 'cy', 'dee']);
    expect(names(sortRuns(runs, { column: 'steps', descending: true }))).toEqual(['Ada', 'dee', 'bob', 'cy']);
    expect(names(sortRuns(runs, { column: 'changes', descending: true }))[0]).toBe('dee');
  });

  it('puts runs without the figure last, whichever the direction', () => {
    expect(names(sortRuns(runs, { column: 'test_loss', descending: false }))).toEqual(['Ada', 'dee', 'bob', 'cy']);
    expect(names(sortRuns(runs, { column: 'test_loss', descending: true }))).toEqual(['bob', 'dee', 'Ada', 'cy']);
    expect(names(sortRuns(runs, { column: 'test_accuracy', descending: true }))).toEqual(['Ada', 'bob', 'cy', 'dee']);
  });

  it('flips the direction on a second click; a new column starts with its best first', () => {
    const s = { column: 'student' as const, descending: false };
    expect(nextSort(s, 'student')).toEqual({ column: 'student', descending: true });
    expect(nextSort(s, 'test_loss')).toEqual({ column: 'test_loss', descending: false });
    expect(nextSort(s, 'test_accuracy')).toEqual({ column: 'test_accuracy', descending: true });
  });

  it('writes how a run differs from the setup', () => {
    expect(changesText([], 'as the setup')).toBe('as the setup');
    expect(
      changesText([
        { field: 'optimizer.lr', setup: 0.03, run: 0.30000000000000004 },
        { field: 'model.hidden', setup: [8, 8], run: [4] },
        { field: 'dataset.upload', setup: null, run: 'abc' },
      ]),
    ).toBe('optimizer.lr 0.03 → 0.3; model.hidden [8, 8] → [4]; dataset.upload none → abc');
    expect(valueText({ a: 1 })).toBe('{"a":1}');
    expect(valueText(true)).toBe('true');
  });

  it('writes a run that trains until stopped (no total) without one', () => {
    expect(stepText(120, 500)).toBe('120 / 500');
    expect(stepText(120, null)).toBe('120');
  });

  it('takes the live tiles’ newer figures over the table’s, run by run', () => {
    const tile: Tile = {
      run_id: 'a',
      student_id: 's-a',
      student: 'a',
      status: 'paused',
      step: 90,
      steps_total: 100,
      loss: [],
      test_loss: 0.2,
      accuracy: 0.9,
      view: null,
    };
    const rows = withLiveTiles([run({ student: 'a', step: 40, summary: { test_loss: { value: 0.5, step: 40 } } }),
      run({ student: 'b', step: 7 })], [tile]);
    expect(rows[0]).toMatchObject({ status: 'paused', step: 90, summary: { test_loss: { value: 0.2, step: 90 },
      test_acc: { value: 0.9, step: 90 } } });
    expect(rows[1]).toMatchObject({ status: 'running', step: 7, summary: {} });
    // an older tile (the table was asked after it) does not take a newer row back
    expect(withLiveTiles([run({ student: 'a', step: 95 })], [tile])[0].step).toBe(95);
  });

  it('names the CSV file after the room', () => {
    expect(csvFileName('Monday: NN 101!')).toBe('results-monday-nn-101.csv');
    expect(csvFileName('<img src=x>')).toBe('results-img-srcx.csv');
    expect(csvFileName('   ')).toBe('results-room.csv');
  });
});
