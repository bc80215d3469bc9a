"""The bench results as one SVG, drawn by hand: three bar panels, no plotting library needed.

`make bench` writes it in English for the README; /cost draws it again in the page's language
(every title, row label, unit and the caption passed in `text`), without the target line.
The text is sized for a projector: the smallest on the chart is 14px at full width.
"""
from xml.sax.saxutils import escape

WIDTH, LABEL, GAP = 900, 230, 40
ROW = {1: 28, 2: 38}  # a row's height by its number of bars: each bar keeps room for its value
SIZE = {"title": 22, "panel": 18, "row": 16, "value": 14, "caption": 14}
ENGLISH = {
    "title": "What each flow costs the server",
    "throughput": "Requests per second through waitress (higher is better)",
    "latency": "Latency under load, median (solid) and p99 (light), ms",
    "server": "Server time per request, in-process call, median µs",
    "whatif-jwt-no-revocation": "what-if: JWT, no denylist",
    "refresh": "refresh (HS256)",
    "unit_rps": "req/s",
    "unit_ms": "ms",
    "unit_us": "µs",
}
COLOURS = {"baseline": "#8a8a96", "session": "#1f6f50", "jwt": "#7a3e9d", "refresh": "#b06d00"}
FONT = 'font-family="system-ui, \'Noto Sans KR\', \'Noto Sans CJK KR\', sans-serif"'


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
    span = WIDTH - LABEL - 120
    parts = [f'<text x="0" y="{y + 18}" font-size="{SIZE["panel"]}" font-weight="700" {FONT}>'
             f'{escape(title)}</text>']
    row_y = y + 30
    for label, bars in rows:
        row = ROW.get(len(bars), 38)
        parts.append(f'<text x="{LABEL - 10}" y="{row_y + row / 2 + 2:.1f}" '
                     f'font-size="{SIZE["row"]}" text-anchor="end" {FONT}>{escape(label)}</text>')
        height = (row - 4) / len(bars)
        for i, (value, colour, opacity) in enumerate(bars):
            if value is None:
                continue
            bar_y, width = row_y + i * height, max(1.0, value / top * span)
            parts.append(f'<rect x="{LABEL}" y="{bar_y:.1f}" width="{width:.1f}" '
                         f'height="{height - 1:.1f}" fill="{colour}" fill-opacity="{opacity}"/>')
            parts.append(f'<text x="{LABEL + width + 5:.1f}" y="{bar_y + height / 2 + 5:.1f}" '
                         f'font-size="{SIZE["value"]}" {FONT}>'
                         f'{value:,.{0 if value >= 100 else 2}f} {escape(unit)}</text>')
        row_y += row
    if marker:
        x = LABEL + marker / top * span
        parts.append(f'<line x1="{x:.1f}" y1="{y + 26}" x2="{x:.1f}" y2="{row_y}" '
                     f'stroke="#b3261e" stroke-dasharray="5 4" stroke-width="1.5"/>')
        parts.append(f'<text x="{x + 4:.1f}" y="{row_y + 16}" font-size="{SIZE["value"]}" '
                     f'fill="#b3261e" {FONT}>{escape(marker_label)}</text>')
    return "\n".join(parts), row_y - y + (20 if marker else 0)


def render(results, text=None, target=True):
    """The chart for results.json; `text` replaces any of the ENGLISH strings and names the
    rows; `target` draws the project's throughput target (the README's chart, not /cost's)."""
    text = dict(ENGLISH, **(text or {}))
    http, server = results["http"], results["server_time"]
    names = list(http)
    marker, marker_label = None, ""
    if target:
        base = http["baseline"]["requests_per_s"]
        goal = results["targets"]["throughput_vs_baseline"]["target"]
        marker, marker_label = base * goal, text.get("target") or f"target: {goal} × baseline"
    panels = [
        (text["throughput"],
         [(_label(n, text), [(http[n]["requests_per_s"], *_colour(n))]) for n in names],
         text["unit_rps"], marker, marker_label),
        (text["latency"],
         [(_label(n, text), [(http[n]["median_ms"], _colour(n)[0], 1),
                             (http[n]["p99_ms"], _colour(n)[0], .4)]) for n in names],
         text["unit_ms"], None, ""),
        (text["server"],
         [(_label(n, text), [(server[n]["median_us"], *_colour(n))])
          for n in names if n in server], text["unit_us"], None, ""),
    ]
    m, settings = results["machine"], results["settings"]
    caption = text.get("caption") or (
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, Redis {m['redis']}, "
        f"{m['date'][:10]}; {settings['concurrency']} connections, {settings['rounds']} rounds "
        f"× {settings['seconds']} s; a shared machine")
    # The caption on two lines (the machine; how it was measured), so it fits at 14px.
    first, _sep, rest = caption.partition("; ")
    lines = [first, rest] if rest else [first]
    captions = "".join(
        f'<text x="0" y="{46 + 19 * i}" font-size="{SIZE["caption"]}" fill="#5b5b66" {FONT}>'
        f'{escape(line)}</text>\n' for i, line in enumerate(lines))
    body, y = [], 52 + 19 * len(lines)
    for title, rows, unit, mark, label in panels:
        svg, height = _panel(y, title, rows, unit, mark, label)
        body.append(svg)
        y += height + GAP
    y -= GAP - 12
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {y}" width="{WIDTH}" '
            f'height="{y}" role="img" aria-labelledby="chart-title">\n'
            f'<title id="chart-title">{escape(text["title"])}</title>\n'
            f'<rect width="100%" height="100%" fill="#fff"/>\n'
            f'<text x="0" y="22" font-size="{SIZE["title"]}" font-weight="700" {FONT}>'
            f'{escape(text["title"])}</text>\n{captions}')
    return head + "\n".join(body) + "\n</svg>\n"
