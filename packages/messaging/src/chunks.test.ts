import { describe, expect, it } from 'vitest';
import { chunkByWeight } from './chunks.js';

describe('chunkByWeight', () => {
  it('chunks by weight, an oversize item alone', () => {
    expect(chunkByWeight([1, 2, 3, 9, 1], (x) => x, 5)).toEqual([[1, 2], [3], [9], [1]]);
  });
});
