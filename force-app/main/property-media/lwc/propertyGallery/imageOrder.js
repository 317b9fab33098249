/** How the gallery's order changes: one image moved, the others keeping their relative order. */
/** `list` with the item at `from` taken out and put back at `to` (indexes into `list`). */
export function moveItem(list, from, to) {
    const result = [...list];
    if (from < 0 || from >= list.length || to < 0 || to >= list.length)
        return result;
    const [item] = result.splice(from, 1);
    result.splice(to, 0, item);
    return result;
}
/**
 * Puts the shown images in `shownOrder` while every image not shown (its upload still under
 * way) keeps its slot: the shown ones fill the slots the shown ones had.
 */
export function withShownOrder(all, shownOrder) {
    const shown = new Set(shownOrder.map((i) => i.id));
    let next = 0;
    return all.map((image) => (shown.has(image.id) ? shownOrder[next++] : image));
}
