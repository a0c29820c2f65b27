// The ratio table as a PNG: a horizontal bar chart drawn as SVG by hand and rasterized with
// sharp (librsvg): no native build beyond sharp's prebuilt package, no network at run time.
import sharp from 'sharp';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function writeChart(rows, file, title) {
  const bars = rows.filter((r) => Number.isFinite(r.ratio));
  const labelW = 560;
  const barW = 420;
  const rowH = 24;
  const top = 56;
  const width = labelW + barW + 120;
  const height = top + Math.max(1, bars.length) * rowH + 40;
  const max = Math.max(1, ...bars.map((r) => r.ratio));
  const x1 = labelW + barW / max; // where ratio 1.0 is
  const parts = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="28" font-family="DejaVu Sans, sans-serif" font-size="18" font-weight="bold">${esc(title)}</text>`,
    `<text x="16" y="46" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#555">ratio = value / its baseline (same run); line = 1.0</text>`,
  ];
  bars.forEach((r, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (r.ratio / max) * barW);
    const color = r.suite === 'gateway' ? '#4e79a7' : '#f28e2b';
    parts.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end" font-family="DejaVu Sans, sans-serif" font-size="12">${esc(`${r.suite}: ${r.scenario}`.slice(0, 80))}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${color}"/>`);
    parts.push(`<text x="${labelW + w + 6}" y="${y + 16}" font-family="DejaVu Sans, sans-serif" font-size="12">${r.ratio.toFixed(3)}</text>`);
  });
  parts.push(`<line x1="${x1}" x2="${x1}" y1="${top - 4}" y2="${top + bars.length * rowH}" stroke="#c00" stroke-dasharray="4 3"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
  return file;
}
