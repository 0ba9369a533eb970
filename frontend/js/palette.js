// Okabe–Ito: distinguishable under the common colour-vision deficiencies. Yellow is last
// because it is faint on the pale contour background.
export const PALETTE = [
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#009E73", // bluish green
  "#CC79A7", // reddish purple
  "#E69F00", // orange
  "#56B4E9", // sky blue
  "#000000", // black
  "#F0E442", // yellow
];

export const colour = (i) => PALETTE[i % PALETTE.length];
