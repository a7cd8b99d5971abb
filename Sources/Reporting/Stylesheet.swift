/// The page's only stylesheet, inlined so the report needs no other file.
let reportStylesheet = """
:root { color-scheme: light; --ink: #1f2328; --muted: #5f6773; --line: #e3e5e8; --panel: #f6f7f9; --accent: #1d5ea8; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 56px; }
header h1 { margin: 0 0 4px; font-size: 28px; letter-spacing: -0.01em; }
header .subtitle { margin: 0; color: var(--muted); }
nav { margin: 18px 0 8px; padding: 10px 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line);
  display: flex; flex-wrap: wrap; gap: 4px 18px; }
nav a { color: var(--accent); text-decoration: none; font-size: 14px; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
section { margin-top: 34px; }
h2 { font-size: 21px; margin: 0 0 6px; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; color: var(--ink); }
p.lead { margin: 0 0 14px; color: var(--muted); max-width: 80ch; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 18px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 132px; }
.card .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .name { font-size: 12.5px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.card .detail { font-size: 12.5px; color: var(--muted); }
.note { background: #fff8e6; border: 1px solid #f1dfae; border-radius: 6px; padding: 8px 12px; margin: 10px 0; font-size: 14px; max-width: 80ch; }
table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 14px 5px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12.5px; text-transform: uppercase; letter-spacing: 0.03em; }
td.number, th.number { text-align: right; }
.columns { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.bar { display: inline-block; height: 8px; background: var(--accent); border-radius: 4px; opacity: 0.75; }
figure { margin: 0; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; max-width: 500px; }
.plots { display: flex; flex-wrap: wrap; gap: 24px; }
.plots figure { width: 500px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 16px; }
.charts svg { width: 100%; }
.charts figure { border: 1px solid var(--line); border-radius: 8px; padding: 8px 8px 6px; }
svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
.scroll { overflow-x: auto; }
ul.legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; color: #333; }
ul.legend li { white-space: nowrap; }
ul.notices { list-style: none; padding: 0; margin: 8px 0 0; }
ul.notices li { background: #fff8e6; border: 1px solid #e8c766; border-radius: 8px; padding: 10px 16px; max-width: 80ch; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.swatch.dashed { height: 0; border-top: 2px dashed #555; border-radius: 0; vertical-align: 3px; width: 16px; }
.legend .count { color: var(--muted); margin-left: 3px; }
.cluster { display: flex; gap: 16px; align-items: flex-start; padding: 10px 0; border-bottom: 1px solid var(--line); }
.cluster .about { width: 170px; flex: none; font-size: 13.5px; }
.cluster .about strong { font-size: 14.5px; }
.cluster .about .detail { color: var(--muted); }
.thumbs { display: flex; flex-wrap: wrap; gap: 4px; }
.thumbs img, .pairs img { width: 48px; height: 48px; image-rendering: pixelated; border-radius: 3px; background: #000; object-fit: contain; }
.pairs { display: grid; gap: 6px; align-items: center; }
.pairs .rowname { font-size: 13px; color: var(--muted); padding-right: 8px; }
.pairs img { width: 64px; height: 64px; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; font-size: 14px; margin: 0; }
dl.settings dt { color: var(--muted); font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", monospace; font-size: 13px; }
dl.settings dd { margin: 0; font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", monospace; font-size: 13px; word-break: break-all; }
footer { margin-top: 44px; color: var(--muted); font-size: 12.5px; }
"""
