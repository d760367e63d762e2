"""Grouped bar charts as plain SVG text (no matplotlib): axes, ticks, labels, bars, a legend.

Used by run_bench.py for benchmarks/charts/*.svg. One function, `bar_chart`: groups along the
x axis (e.g. concurrency levels), one bar per series in each group (e.g. servers), on a linear
or a log-10 y axis. A missing value (None) leaves a gap with "n/a" under it.
"""
import math
from xml.sax.saxutils import escape

# Colour-blind-safe (Okabe-Ito), in series order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _nice_step(span, ticks=5):
    raw = span / max(1, ticks)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _linear_ticks(vmax):
    if vmax <= 0:
        return [0, 1]
    step = _nice_step(vmax)
    top = step * math.ceil(vmax / step)
    n = int(round(top / step))
    return [i * step for i in range(n + 1)]


def _log_ticks(vmin, vmax):
    lo = math.floor(math.log10(vmin))
    hi = math.ceil(math.log10(vmax))
    if hi == lo:
        hi += 1
    return [10 ** e for e in range(lo, hi + 1)]


def latency_label(us):
    """A latency given in µs, as a chart shows it: 66 µs, 1.4 ms, 12 ms, 1.5 s."""
    if us is None:
        return "n/a"
    for div, unit in ((1e6, "s"), (1e3, "ms")):
        if us >= div:
            v = us / div
            return f"{v:.1f}".rstrip("0").rstrip(".") + f" {unit}" if v < 10 else f"{v:.0f} {unit}"
    return f"{us:.0f} µs"


def short_number(v):
    """1234 -> 1.2k, 2500000 -> 2.5M; small numbers as they are."""
    if v is None:
        return "n/a"
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            text = f"{v / div:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    if a >= 10 or a == 0:
        return f"{v:.0f}"
    return f"{v:.2g}"


def bar_chart(path, title, groups, series, values, y_label, log=False, subtitle=None,
              value_format=short_number, width=760, height=420):
    """Writes a grouped bar chart to `path`.

    groups: x-axis labels; series: legend names; values[s][g]: the bar of series s in group g
    (None: not measured). log: a log-10 y axis (for values spanning decades, e.g. latencies)."""
    left, right, top, bottom = 78, 20, 58 if subtitle else 44, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    present = [v for row in values for v in row if v is not None and (v > 0 or not log)]
    if log:
        ticks = _log_ticks(min(present), max(present)) if present else [1, 10]
        lo, hi = math.log10(ticks[0]), math.log10(ticks[-1])

        def y_of(v):
            return top + plot_h - (math.log10(v) - lo) / (hi - lo) * plot_h
    else:
        ticks = _linear_ticks(max(present) if present else 1)
        hi = ticks[-1]

        def y_of(v):
            return top + plot_h - (v / hi) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" '
           f'font-weight="bold">{escape(title)}</text>']
    if subtitle:
        out.append(f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#555">{escape(subtitle)}</text>')
    # Grid lines and y ticks.
    for t in ticks:
        y = y_of(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(value_format(t))}</text>')
    # Axes.
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>')
    out.append(f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">'
               f'{escape(y_label + (" (log scale)" if log else ""))}</text>')
    # Bars.
    n_g, n_s = max(1, len(groups)), max(1, len(series))
    group_w = plot_w / n_g
    bar_w = min(48, group_w * 0.8 / n_s)
    for g, label in enumerate(groups):
        x0 = left + g * group_w + (group_w - bar_w * n_s) / 2
        out.append(f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + plot_h + 18}" '
                   f'text-anchor="middle">{escape(label)}</text>')
        for s in range(len(series)):
            v = values[s][g] if g < len(values[s]) else None
            x = x0 + s * bar_w
            if v is None or (log and v <= 0):
                out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - 4}" text-anchor="middle" '
                           f'font-size="9" fill="#888">n/a</text>')
                continue
            y = y_of(v)
            colour = PALETTE[s % len(PALETTE)]
            out.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                       f'height="{top + plot_h - y:.1f}" fill="{colour}">'
                       f'<title>{escape(series[s])} {escape(label)}: {escape(value_format(v))}</title></rect>')
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                       f'font-size="9">{escape(value_format(v))}</text>')
    # Legend, under the x labels.
    lx, ly = left, top + plot_h + 40
    for s, name in enumerate(series):
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly}">{escape(name)}</text>')
        lx += 28 + 7 * len(name)
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
