"""The bench results as one SVG, drawn by hand: three bar panels, no plotting library needed.

`make bench` writes it in English for the README; /cost draws it again in the page's language.
"""
from xml.sax.saxutils import escape

WIDTH, LABEL, ROW, GAP = 880, 175, 22, 46
ENGLISH = {
    "title": "What each flow costs the server",
    "throughput": "Requests per second through waitress (higher is better)",
    "latency": "Latency under load, median (solid) and p99 (light), ms",
    "server": "Server time per request, in-process call, median µs",
    "whatif-jwt-no-revocation": "what-if: JWT, no denylist",
    "refresh": "refresh (HS256)",
}
COLOURS = {"baseline": "#8a8a96", "session": "#1f6f50", "jwt": "#7a3e9d", "refresh": "#b06d00"}
FONT = 'font-family="system-ui, sans-serif"'


def _label(name, text):
    return text.get(name) or (f"JWT {name[4:]}" if name.startswith("jwt-") else name)


def _colour(name):
    """Colour by flow; a what-if is drawn light in the colour of the flow it varies."""
    parts = name.split("-")
    if parts[0] == "whatif":
        return COLOURS.get(parts[1], "#555"), .45
    return COLOURS.get(parts[0], "#555"), 1


def _panel(y, title, rows, unit, marker=None, marker_label=""):
    """Horizontal bars: rows are (label, [(value, colour, opacity)]); returns (svg, height)."""
    values = [v for _label, bars in rows for v, _c, _o in bars if v is not None]
    top = max(values + [marker or 0]) * 1.08 or 1
    span = WIDTH - LABEL - 90
    parts = [f'<text x="0" y="{y + 14}" font-size="15" font-weight="700" {FONT}>'
             f'{escape(title)}</text>']
    row_y = y + 26
    for label, bars in rows:
        parts.append(f'<text x="{LABEL - 8}" y="{row_y + 15}" font-size="12" text-anchor="end" '
                     f'{FONT}>{escape(label)}</text>')
        height = (ROW - 4) / len(bars)
        for i, (value, colour, opacity) in enumerate(bars):
            if value is None:
                continue
            bar_y, width = row_y + i * height, max(1.0, value / top * span)
            parts.append(f'<rect x="{LABEL}" y="{bar_y:.1f}" width="{width:.1f}" '
                         f'height="{height - 1:.1f}" fill="{colour}" fill-opacity="{opacity}"/>')
            parts.append(f'<text x="{LABEL + width + 4:.1f}" y="{bar_y + height - 3:.1f}" '
                         f'font-size="11" {FONT}>{value:,.{0 if value >= 100 else 2}f} '
                         f'{escape(unit)}</text>')
        row_y += ROW
    if marker:
        x = LABEL + marker / top * span
        parts.append(f'<line x1="{x:.1f}" y1="{y + 22}" x2="{x:.1f}" y2="{row_y}" '
                     f'stroke="#b3261e" stroke-dasharray="5 4" stroke-width="1.5"/>')
        parts.append(f'<text x="{x + 4:.1f}" y="{row_y + 13}" font-size="11" fill="#b3261e" '
                     f'{FONT}>{escape(marker_label)}</text>')
    return "\n".join(parts), row_y - y + (16 if marker else 0)


def render(results, text=None):
    """The chart for results.json; `text` replaces any of the ENGLISH strings."""
    text = dict(ENGLISH, **(text or {}))
    http, server = results["http"], results["server_time"]
    names = list(http)
    base = http["baseline"]["requests_per_s"]
    target = results["targets"]["throughput_vs_baseline"]["target"]
    panels = [
        (text["throughput"],
         [(_label(n, text), [(http[n]["requests_per_s"], *_colour(n))]) for n in names],
         "req/s", base * target, text.get("target") or f"target: {target} × baseline"),
        (text["latency"],
         [(_label(n, text), [(http[n]["median_ms"], _colour(n)[0], 1),
                             (http[n]["p99_ms"], _colour(n)[0], .4)]) for n in names],
         "ms", None, ""),
        (text["server"],
         [(_label(n, text), [(server[n]["median_us"], *_colour(n))])
          for n in names if n in server], "µs", None, ""),
    ]
    body, y = [], 48
    for title, rows, unit, marker, label in panels:
        svg, height = _panel(y, title, rows, unit, marker, label)
        body.append(svg)
        y += height + GAP
    y -= GAP - 12
    m, settings = results["machine"], results["settings"]
    caption = text.get("caption") or (
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, Redis {m['redis']}, "
        f"{m['date'][:10]}; {settings['concurrency']} connections, {settings['rounds']} rounds "
        f"× {settings['seconds']} s; a shared machine")
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {y}" width="{WIDTH}" '
            f'height="{y}" role="img" aria-labelledby="chart-title">\n'
            f'<title id="chart-title">{escape(text["title"])}</title>\n'
            f'<rect width="100%" height="100%" fill="#fff"/>\n'
            f'<text x="0" y="18" font-size="17" font-weight="700" {FONT}>'
            f'{escape(text["title"])}</text>\n<text x="0" y="36" font-size="11" fill="#5b5b66" '
            f'{FONT}>{escape(caption)}</text>\n')
    return head + "\n".join(body) + "\n</svg>\n"
