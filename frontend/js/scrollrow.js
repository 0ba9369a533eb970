// A row of controls that scrolls sideways where the screen is narrow (the player's tools on a
// phone): marks which of its ends hides more (data-more="start end", either or both, or empty),
// so that the CSS fades that end (the cue that the row scrolls), and scrolls a control that
// takes the focus clear of the fades (the row's scroll-padding wide), where the browser would
// only bring it inside the row's edge. Called once per row.

export function markHiddenEnds(row) {
  const mark = () => {
    const hidden = row.scrollWidth - row.clientWidth;
    const ends = [];
    if (hidden > 1 && row.scrollLeft > 1) ends.push("start");
    if (hidden > 1 && row.scrollLeft < hidden - 1) ends.push("end");
    const more = ends.join(" ");
    if (row.dataset.more !== more) row.dataset.more = more;
  };
  row.addEventListener("scroll", mark, { passive: true });
  // the row's width (the window) and its buttons' (one hidden or shown) change what it hides
  const resized = new ResizeObserver(mark);
  resized.observe(row);
  for (const child of row.children) resized.observe(child);
  row.addEventListener("focusin", (e) => clearOfFades(row, e.target));
  mark();
}

function clearOfFades(row, control) {
  const style = getComputedStyle(row);
  const box = row.getBoundingClientRect();
  const at = control.getBoundingClientRect();
  const left = box.left + parseFloat(style.scrollPaddingLeft);
  const right = box.right - parseFloat(style.scrollPaddingRight);
  if (at.right > right) row.scrollLeft += at.right - right;
  else if (at.left < left) row.scrollLeft -= left - at.left;
}
