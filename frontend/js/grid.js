// Contour grids arrive with z as base64 float32 bytes (`…/grid?encoding=base64`): half the
// bytes of JSON numbers, a tenth of the server's encoding, and no parse of 40,000 numbers.
// The page reads z as JSON gives it: arrays of numbers, null where the surface is not finite.

export const GRID_ENCODING = "base64";

function bytesOf(base64) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(base64);
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function numbers(values) {
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number.isNaN(values[i]) ? null : values[i];
  return out;
}

// The grid with z as rows of numbers (a flat list for a curve). The bytes are little-endian,
// as every browser's Float32Array is on the machines that run one.
export function decodeGrid(grid) {
  const z = grid.z;
  if (Array.isArray(z)) return grid; // already numbers
  const values = new Float32Array(bytesOf(z.base64).buffer);
  if (z.shape.length === 1) return { ...grid, z: numbers(values) };
  const [ny, nx] = z.shape;
  const rows = new Array(ny);
  for (let j = 0; j < ny; j++) rows[j] = numbers(values.subarray(j * nx, (j + 1) * nx));
  return { ...grid, z: rows };
}
