import { moveItem, withShownOrder } from '../imageOrder';

describe('moveItem', () => {
  it.each([
    [0, 2, ['b', 'c', 'a', 'd']],
    [3, 0, ['d', 'a', 'b', 'c']],
    [1, 2, ['a', 'c', 'b', 'd']],
    [2, 2, ['a', 'b', 'c', 'd']]
  ])('moves the item at %i to %i', (from, to, expected) => {
    expect(moveItem(['a', 'b', 'c', 'd'], from, to)).toEqual(expected);
  });

  it('leaves the list as it was for an index outside it, without changing the input', () => {
    const list = ['a', 'b'];
    expect(moveItem(list, 0, 5)).toEqual(['a', 'b']);
    expect(moveItem(list, -1, 0)).toEqual(['a', 'b']);
    moveItem(list, 0, 1);
    expect(list).toEqual(['a', 'b']);
  });
});

describe('withShownOrder', () => {
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => ({ id }));

  it('reorders the shown images in the slots they had; hidden ones stay put', () => {
    // b is hidden (its upload is under way): a, c, d are shown and become d, a, c.
    expect(withShownOrder([a!, b!, c!, d!], [d!, a!, c!])).toEqual([d, b, a, c]);
  });

  it('is the shown order when everything is shown', () => {
    expect(withShownOrder([a!, b!], [b!, a!])).toEqual([b, a]);
  });
});
