"""Checks an `xfc compile --report` page as a browser shows it.

Renders the page in headless Chromium (Debian's chromium) with no network,
takes the DOM after rendering (--dump-dom) and a screenshot, and checks what
a reader sees: the five sections, one row per pipeline stage (with the
stages named), a drawn graph (SVG nodes) whose nodes name the checkpoint
modules given with --expect-node, a kernel table with FLOPs for the GEMMs
and attention, a memory plan per entry point, and nothing fetched from
anywhere (no http(s) src/href, no script).

Usage: check_report.py REPORT.html --stages N --expect-node TEXT... [--kernels-at-least K]
"""
import argparse
import html.parser
import os
import subprocess
import sys
import tempfile


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.tables, self.nodes, self.external, self.scripts = [], [], [], [], 0
        self._in = []          # open tags
        self._text = []        # text of the current h2 / td / svg text
        self._row = None
        self._node_text = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._in.append(tag)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            v = a.get(key, "")
            if v.startswith("http:") or v.startswith("https:") or v.startswith("//"):
                self.external.append(v)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th", "h2"):
            self._text = []
        elif tag == "g" and a.get("class") == "node":
            self._node_text = []
            self._node_depth = len(self._in)

    def handle_endtag(self, tag):
        depth = len(self._in)
        while self._in and self._in[-1] != tag:
            self._in.pop()
        depth = len(self._in)
        if self._in:
            self._in.pop()
        if tag == "h2":
            self.sections.append("".join(self._text).strip())
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("".join(self._text).strip())
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "g" and self._node_text is not None and depth == self._node_depth:
            self.nodes.append(" ".join(self._node_text))
            self._node_text = None

    def handle_data(self, data):
        self._text.append(data)
        if self._node_text is not None and "text" in self._in:
            self._node_text.append(data.strip())


def chromium(args):
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-extensions",
                           "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"] + args,
                          capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--stages", type=int, required=True, help="pipeline rows expected")
    ap.add_argument("--expect-node", action="append", default=[],
                    help="text some graph node must show (a checkpoint module path)")
    ap.add_argument("--kernels-at-least", type=int, default=3)
    args = ap.parse_args()
    url = "file://" + os.path.abspath(args.report)
    r = chromium(["--dump-dom", url])
    if r.returncode != 0 or "<html" not in r.stdout:
        sys.exit(f"chromium could not render {args.report}: {r.stderr[-2000:]}")
    page = Page()
    page.feed(r.stdout)

    def fail(msg):
        sys.exit(f"{args.report}: {msg}")

    want = ["Pipeline stages", "The graph after fusion", "Kernels", "Memory plan", "Compile time"]
    if page.sections != want:
        fail(f"sections {page.sections}, expected {want}")
    if page.scripts or page.external:
        fail(f"not self-contained: {page.scripts} scripts, external {page.external}")
    stages, kernels, memory, times = page.tables
    if len(stages) - 1 != args.stages:
        fail(f"{len(stages) - 1} stage rows, expected {args.stages}")
    if [r[1] for r in stages[1:3]] != ["canonicalize", "fuse-attention"]:
        fail(f"first stages {[r[1] for r in stages[1:3]]}")
    if not any("xf.attention" in r[5] for r in stages[1:]):
        fail("no stage says it made xf.attention")
    if len(page.nodes) < 10:
        fail(f"the graph shows {len(page.nodes)} nodes")
    for text in args.expect_node:
        if not any(text in n for n in page.nodes):
            fail(f"no graph node shows '{text}' (nodes: {page.nodes[:8]} ...)")
    if not any(n.startswith("attention") for n in page.nodes):
        fail("no attention node in the graph")
    rows = kernels[1:]
    if len(rows) < args.kernels_at_least:
        fail(f"{len(rows)} kernels")
    gemm = [r for r in rows if r[1] == "linear"]
    if not gemm or not all(r[3].endswith("FLOP") and r[3] != "–" for r in gemm):
        fail(f"GEMM rows without FLOPs: {gemm[:2]}")
    if not all(r[5].isdigit() and int(r[5]) >= 1 for r in rows):
        fail("a kernel without call count")
    if not any(int(r[5]) > 1 for r in rows):
        fail("no kernel shared between layers")
    if len(memory) < 2 or not all(int(r[2]) >= 1 for r in memory[1:]):
        fail(f"memory plan {memory}")
    if times[-1][0] != "code generation":
        fail("no code generation time")
    with tempfile.TemporaryDirectory() as d:
        shot = os.path.join(d, "report.png")
        r = chromium([f"--screenshot={shot}", "--window-size=1400,2000", url])
        if r.returncode != 0 or not os.path.exists(shot) or os.path.getsize(shot) < 20000:
            fail(f"no screenshot ({r.stderr[-500:]})")
    print(f"{args.report}: {len(stages) - 1} stages, {len(page.nodes)} graph nodes, "
          f"{len(rows)} kernels, {len(memory) - 1} entry points: ok")


if __name__ == "__main__":
    main()
