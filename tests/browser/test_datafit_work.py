"""The sweep and basin views on a loss that sums over its data at every step (logistic
regression): they ask for the largest grid the server's max_data_fit_work allows, and say why;
where even the smallest grid is over it, the server's refusal is what the status line says."""

from __future__ import annotations

from typing import Any

import pytest
from test_views import heatmap_shape, wait_view
from uiutil import FAST, open_app

pytestmark = pytest.mark.browser

# rows x steps x n = 6 x 6 x 500 x 1,000 fits MAX_DATA_FIT_WORK (20,000,000); 7 x 7 would not
LOGISTIC = "surface=logistic-regression&sp=n:1000&steps=500&opt=gd(lr:0.5)"


def status_of(page: Any, kind: str) -> str:
    return page.locator(f"#{kind}-fig >> xpath=.. >> .view-status").inner_text()  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["sweep", "basins"])
def test_a_view_on_a_loss_summed_over_its_data_asks_for_a_grid_that_fits(
    page: Any, kind: str, artifacts: Any
) -> None:
    open_app(page, f"{LOGISTIC}&show={kind}&{kind}=n:100&{FAST}")
    wait_view(page, kind, 6)  # asked for 100 x 100: the largest grid within the limit
    assert heatmap_shape(page, kind) == [6, 6]
    assert page.get_attribute(f"#{kind}-fig >> xpath=.. >> input[type=number]", "max") == "6"
    status = status_of(page, kind)
    assert "6 × 6 at most here: every step sums over the 1,000 data points" in status
    page.screenshot(path=str(artifacts / f"datafit-work-{kind}.png"))


@pytest.mark.parametrize("kind", ["sweep", "basins"])
def test_a_grid_over_the_limit_shows_the_servers_refusal(page: Any, kind: str) -> None:
    # 2 x 2 x 600 x 10,000 = 24,000,000: even the smallest grid is over the limit
    page.goto(
        f"/#surface=logistic-regression&sp=n:10000&steps=600&opt=gd(lr:0.5)&show={kind}&{FAST}"
    )
    # (a grid asked before the surface's n came back from the server is refused for its own
    # size, and asked again at n = 10,000)
    page.wait_for_function(
        "(kind) => { const f = document.getElementById(kind + '-fig');"
        " return f?.dataset.state === 'error' && f.parentElement.querySelector('.view-status')"
        ".textContent.includes('4 x 600 x 10,000'); }",
        arg=kind,
        timeout=30_000,
    )
    status = status_of(page, kind)
    assert "4 x 600 x 10,000 = 24,000,000 is over the limit of 20,000,000" in status
    assert "(max_steps)" in status
