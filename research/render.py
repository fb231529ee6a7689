"""Turn an executed notebook into a self-contained HTML page without code.

nbconvert's ``basic`` template gives the notebook body alone (no CDN
scripts); we wrap it in our own page: a viewport tag for phones, one H1 (the
report's title), inline styles, the notebook's outputs, and the build's
parameters, fingerprints and version in a footer.

Charts arrive as SVG plus their Vega-Lite spec (:func:`research.charts.enable`).
Each becomes a ``<figure>`` carrying its spec in an escaped attribute, its
description as caption and alt text, and the SVG as an ``<img>`` inside
``<noscript>``; the page embeds the Vega, Vega-Lite and vega-embed runtime
once (vl-convert's bundle), which draws every chart interactively — tooltips,
zoom — without any request leaving the page.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nbformat is slow to import; the no-change build never needs it
    import nbformat

#: Mimetype a chart's spec travels under (as in :data:`research.charts.SPEC_MIME`).
SPEC_MIME = "application/vnd.vegalite.v6+json"

STYLE = """
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;max-width:1100px;margin:1em auto;
padding:0 1em;color:#222;line-height:1.45;overflow-wrap:break-word}
header{border-bottom:2px solid #ddd;margin-bottom:1em}
h1{font-size:1.6em;margin:.3em 0 .4em}
footer{border-top:2px solid #ddd;margin-top:2em;padding-top:.5em}
footer dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2em 1em;
font-size:.85em;color:#444}
footer dt{font-weight:bold}footer dd{margin:0;overflow-wrap:anywhere}
.finding .lead{font-size:1.1em;margin:.3em 0}
.figures{display:flex;flex-wrap:wrap;gap:.3em 1.2em;list-style:none;padding:0;margin:.5em 0}
.figures strong{font-size:1.25em}
.evidence{margin:.4em 0;padding:.4em .6em;background:#f3f3f3;border-left:4px solid #555}
.caveat{font-weight:bold}
.table-wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top;text-align:left}
thead th{background:#f4f4f4}
pre{white-space:pre-wrap;font-size:.85em}
.jp-OutputPrompt,.jp-InputPrompt{display:none}
.card{border-left:4px solid #d55e00;padding:.3em .8em;margin:.8em 0;background:#fafafa}
.card.mixed{border-color:#e69f00}.card.untested{border-color:#767676}
.card.consistent{border-color:#009e73}.card.not_testable{border-color:#56b4e9}
.said,.done{margin:.2em 0}.muted{color:#595959;font-size:.85em}
.basis{margin:.3em 0;font-style:italic}
figure.chart{margin:1em 0;max-width:100%;overflow-x:auto}
figure.chart figcaption{color:#444;font-size:.85em}
figure.chart svg,figure.chart img{max-width:100%;height:auto}
svg{max-width:100%;height:auto}
.anchor-link{opacity:0;text-decoration:none;margin-left:.3em}
h2:hover .anchor-link,h3:hover .anchor-link,.anchor-link:focus{opacity:1}
#vg-tooltip-element{max-width:min(90vw,420px);white-space:normal}
nav a{margin-right:1em}
@media (max-width:600px){body{font-size:15px;padding:0 .6em}h1{font-size:1.3em}
.finding .lead{font-size:1em}.figures{font-size:.9em}.evidence{font-size:.9em}}
""".strip()

#: Draws every chart of the page with the embedded runtime; on failure the SVG comes back.
BOOT = """
(function () {
  document.querySelectorAll("figure.chart[data-spec]").forEach(function (fig) {
    var view = document.createElement("div");
    view.className = "chart-view";
    fig.insertBefore(view, fig.firstChild);
    var fallback = function () {
      view.remove();
      var ns = fig.querySelector("noscript");
      if (ns) { var d = document.createElement("div"); d.innerHTML = ns.textContent;
                fig.insertBefore(d, fig.firstChild); }
    };
    try {
      var spec = JSON.parse(fig.getAttribute("data-spec"));
      vegaEmbed(view, spec, {renderer: "svg", actions: false})
        .then(function () {
          var svg = view.querySelector("svg");
          if (svg && spec.description) {
            svg.setAttribute("role", "img");
            svg.setAttribute("aria-label", spec.description);
          }
          fig.classList.add("drawn");
        }, fallback);
    } catch (e) { fallback(); }
  });
})();
""".strip()


@cache
def runtime() -> str:
    """The Vega, Vega-Lite and vega-embed runtime (vl-convert's bundle) and the boot code."""
    import vl_convert as vlc

    bundle = vlc.javascript_bundle()
    if re.search(r"</script|<!--", bundle, re.I):  # would end the script element early
        raise ValueError("the Vega bundle holds </script or <!--; cannot inline it")
    return bundle + "\n" + BOOT


def figure(svg: str, spec: dict) -> str:
    """One chart: spec for the runtime, SVG for no-script readers, description as alt."""
    description = str(spec.get("description", "")) or "Chart"
    data = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode()
    return (
        f'<figure class="chart" data-spec="{html.escape(data)}">'
        f'<noscript><img alt="{html.escape(description)}" src="{src}"></noscript>'
        f'<figcaption>{html.escape(description)} <span class="muted">Hover a mark for '
        "its details; shift + scroll zooms the time axis, double-click resets it."
        "</span></figcaption></figure>"
    )


def _charts_and_headings(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Charts become figures; the page's one H1 is its title, so notebook H1s become H2s."""
    nb = json.loads(json.dumps(nb))  # a copy: the executed notebook keeps its outputs
    import nbformat

    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"^# ", "## ", cell.source, flags=re.M)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if SPEC_MIME in data and "image/svg+xml" in data:
                spec = data[SPEC_MIME]
                spec = json.loads(spec) if isinstance(spec, str) else spec
                out["data"] = {"text/html": figure(data["image/svg+xml"], spec)}
    return nb


def _body(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True)
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(_charts_and_headings(nb))
    return body


def page(title: str, meta: dict[str, str], body: str, nav: str = "") -> str:
    """A complete HTML document; ``title`` and ``meta`` are escaped here.

    Build metadata goes to the footer; the runtime is inlined once when the
    body holds a chart.
    """
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in meta.items())
    script = f"<script>\n{runtime()}\n</script>\n" if 'class="chart" data-spec=' in body else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
        f"<header>{nav}<h1>{html.escape(title)}</h1></header>\n"
        f"<main>\n{body}\n</main>\n"
        f'<footer><dl aria-label="How this page was built">{rows}</dl></footer>\n'
        f"{script}</body>\n</html>\n"
    )


def report_html(nb: nbformat.NotebookNode, title: str, meta: dict[str, str]) -> str:
    """The page for one executed report."""
    return page(title, meta, _body(nb), nav='<nav><a href="index.html">All reports</a></nav>')
