import { describe, expect, it } from 'vitest';
import { ReadAhead } from './read-ahead.ts';

/** Tensors of the given input sizes; records which reads were started, in order. */
function setup(sizes: number[], budget: number, room: (i: number) => boolean = () => true) {
  const started: number[] = [];
  const ahead = new ReadAhead(
    sizes.length,
    (i) => {
      started.push(i);
      return Promise.resolve(`inputs of ${i}`);
    },
    (i) => sizes[i]!,
    budget,
    room,
  );
  return { ahead, started };
}

describe('ReadAhead', () => {
  it('reads ahead as many tensors as fit in the budget with the current one, each once, in order', async () => {
    const { ahead, started } = setup([10, 10, 10, 10, 20, 10, 10], 35);
    const first = ahead.next();
    expect(await first.inputs).toBe('inputs of 0');
    expect(first.started).toBe(true);
    expect(started).toEqual([0, 1, 2]); // 10 + 10 + 10 <= 35; with the 4th, 40 > 35
    const second = ahead.next();
    expect(await second.inputs).toBe('inputs of 1');
    expect(started).toEqual([0, 1, 2, 3]); // 1-3: 30
    const third = ahead.next();
    expect(await third.inputs).toBe('inputs of 2');
    expect(third.started).toBe(false); // 2-4 would be 40
    expect(started).toEqual([0, 1, 2, 3]);
    expect(await ahead.next().inputs).toBe('inputs of 3');
    expect(started).toEqual([0, 1, 2, 3, 4]); // 3-4: 30
    for (const i of [4, 5, 6]) expect(await ahead.next().inputs).toBe(`inputs of ${i}`);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => ahead.next()).toThrow(RangeError);
  });

  it('reads a tensor bigger than the budget when its turn comes, and nothing beside it', async () => {
    const { ahead, started } = setup([100, 10, 10], 50);
    await ahead.next().inputs;
    expect(started).toEqual([0]);
    await ahead.next().inputs;
    expect(started).toEqual([0, 1, 2]);
  });

  it('stops reading ahead at the first tensor without room, and goes on once there is', async () => {
    let room = false;
    const { ahead, started } = setup([10, 10, 10, 10], 1000, () => room);
    const first = ahead.next();
    expect(first.started).toBe(false);
    expect(started).toEqual([0]);
    room = true;
    await first.inputs;
    const second = ahead.next();
    expect(second.started).toBe(true);
    expect(started).toEqual([0, 1, 2, 3]);
  });
});
