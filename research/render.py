"""Turn an executed notebook into a self-contained HTML page without code.

nbconvert's ``basic`` template gives the notebook body alone (no CDN
scripts); we wrap it in our own page with inline styles, the report's title,
parameters, data fingerprint and package version. Nothing on the page is
fetched from the network: charts are inline SVG.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nbformat is slow to import; the no-change build never needs it
    import nbformat

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
header{border-bottom:2px solid #ddd;margin-bottom:1.5em}
header dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;font-size:.9em;
color:#444}
header dt{font-weight:bold}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top;text-align:left}
thead th{background:#f4f4f4}
pre{white-space:pre-wrap;font-size:.85em}
.jp-OutputPrompt,.jp-InputPrompt{display:none}
.card{border-left:4px solid #d62728;padding:.3em .8em;margin:.8em 0;background:#fafafa}
.card.mixed{border-color:#ff7f0e}.card.untested{border-color:#9e9e9e}
.card.consistent{border-color:#2ca02c}
.said,.done{margin:.2em 0}.muted{color:#666;font-size:.85em}
svg{max-width:100%;height:auto}
nav a{margin-right:1em}
""".strip()


def _body(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True)
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    return body


def page(title: str, meta: dict[str, str], body: str, nav: str = "") -> str:
    """A complete HTML document; ``title`` and ``meta`` are escaped here."""
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in meta.items())
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
        f"<header>{nav}<h1>{html.escape(title)}</h1><dl>{rows}</dl></header>\n"
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def report_html(nb: nbformat.NotebookNode, title: str, meta: dict[str, str]) -> str:
    """The page for one executed report."""
    return page(title, meta, _body(nb), nav='<nav><a href="index.html">All reports</a></nav>')
