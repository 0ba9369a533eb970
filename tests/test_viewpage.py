"""The view as one HTML file (``POST /api/exports/html``, ``descentlab.view_html``): Plotly.js
inlined, no script from the network, the paths, legend, title, formula and loss plot there."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

import descentlab
from descentlab.api import create_app

BODY = {
    "surface": "rosenbrock",
    "start": [-1, 2],
    "max_steps": 300,
    "optimizers": [
        {"id": "gd", "params": {"lr": 0.001}},
        {"id": "momentum", "params": {"lr": 0.001, "momentum": 0.9}},
    ],
}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def figure_of(html: str) -> dict[str, Any]:
    """The data and layout Plotly.newPlot is given in the file."""
    call = html[html.index("Plotly.newPlot(") :]
    at = call.index("[")
    data, end = json.JSONDecoder().raw_decode(call, at)
    layout, _ = json.JSONDecoder().raw_decode(call, call.index("{", end))
    return {"data": data, "layout": layout}


def values(v: Any) -> np.ndarray:
    """A trace's array as Plotly writes it: a list, or typed-array bytes (base64)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.array(v, dtype=float)


def drawn(trace: dict[str, Any]) -> bool:
    return trace.get("x") != [None]


def scripts_from_the_network(html: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>", html, flags=re.I)


def test_the_view_as_html(client: TestClient) -> None:
    r = client.post("/api/exports/html", json={"run": BODY, "title": "Two runs"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert 'filename="descentlab-rosenbrock.html"' in r.headers["content-disposition"]
    html = r.text
    assert scripts_from_the_network(html) == [] and "<script src=" not in html
    assert "plotly.js (cartesian - minified)" in html and len(html) < 2_500_000
    assert "MathJax" not in html.split("Plotly.newPlot")[1]  # (its default is a CDN)
    fig = figure_of(html)
    layout = fig["layout"]
    assert layout["title"]["text"] == "Two runs"
    assert "(a - x)<sup>2</sup>" in layout["title"]["subtitle"]["text"]  # the formula
    paths = [t for t in fig["data"] if t.get("mode") == "lines+markers" and drawn(t)]
    losses = [t for t in fig["data"] if t.get("yaxis") == "y2" and drawn(t)]
    assert [t["legendgroup"] for t in paths] == ["run0", "run1"]
    assert [t["legendgroup"] for t in losses] == ["run0", "run1"]
    legend = [t.get("name") for t in fig["data"] if t.get("showlegend") is not False]
    assert {"gd", "momentum", "minimum"} <= set(legend)
    # the paths are the runs' own points (their starts and ends)
    runs = client.post("/api/runs", json=BODY).json()["runs"]
    for trace, run in zip(paths, runs, strict=True):
        x, y = values(trace["x"]), values(trace["y"])
        assert len(x) == len(run["path"]) == run["nit"] + 1  # (short: drawn whole)
        assert [x[0], y[0]] == pytest.approx(run["path"][0])
        assert [x[-1], y[-1]] == pytest.approx(run["path"][-1])
    assert layout["yaxis2"]["type"] == "log"  # f − f_min: the minimum is known
    assert np.nanmin(values(losses[1]["y"])) > 0


def test_the_runs_named_as_the_page_names_them(client: TestClient) -> None:
    labels = ["Gradient descent lr=0.001", "Momentum lr=0.001"]
    body = {"run": {**BODY, "restarts": 1}, "labels": labels}
    fig = figure_of(client.post("/api/exports/html", json=body).text)
    legend = [t.get("name") for t in fig["data"] if t.get("showlegend") is not False]
    assert set(labels) <= set(legend) and "gd" not in legend
    names = {t.get("name") for t in fig["data"]}
    assert "Momentum lr=0.001, restart 1" in names or "Momentum lr=0.001, start given" in names
    hover = [t.get("hovertemplate", "") for t in fig["data"] if t.get("yaxis") == "y2"]
    assert any(h.startswith("Gradient descent lr=0.001") for h in hover)
    too_many = {"run": BODY, "labels": ["x"] * 9}
    assert client.post("/api/exports/html", json=too_many).status_code == 422


def test_refusals_name_the_field(client: TestClient) -> None:
    bad = {**BODY, "optimizers": [{"id": "gd", "params": {"lr": -1}}]}
    r = client.post("/api/exports/html", json={"run": bad})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:4] == ["body", "run", "optimizers", 0]
    r = client.post("/api/exports/html", json={"run": BODY, "view": [[1, 0], [0, 1]]})
    assert r.status_code == 422 and "view" in r.text
    r = client.post("/api/exports/html", json={"run": BODY, "view": [[0, 1]]})
    assert r.status_code == 422 and "view" in r.text


def test_view_html_from_python(tmp_path: Path) -> None:
    traj = descentlab.run("himmelblau", "adam", lr=0.05, max_steps=40)
    out = descentlab.view_html(traj, tmp_path / "v.html", view=[[-2, 5], [-2, 5]], loss=False)
    fig = figure_of(out.read_text(encoding="utf-8"))
    assert fig["layout"]["xaxis"]["range"] == [-2, 5]
    assert "yaxis2" not in fig["layout"]
