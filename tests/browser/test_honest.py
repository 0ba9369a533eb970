"""Browser tests: the figures never say more, or other, than the runs drawn and the server's
answers (issue 16): a refused value, a divergence, a typed surface's formula, the view.

Like the other browser tests, these wait on attributes the app sets instead of sleeping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, open_app, type_value

pytestmark = pytest.mark.browser


def test_refused_value_leaves_the_legend_and_table_on_the_run_drawn(
    page: Any, artifacts: Path
) -> None:
    open_app(page, f"surface=rosenbrock&opt=adam(lr:0.05)&{FAST}")
    table = page.locator("#summary tbody")
    assert "lr=0.05" in table.inner_text()
    err = type_value(page, '[data-field="optimizers.0.params.lr"]', "50")
    err.wait_for(state="visible")
    assert "optimizers.0.params.lr" not in err.inner_text()  # the message, by its control
    page.wait_for_selector("#app[data-status=error]")
    # the old run is still drawn: its label, not the refused value, names it
    assert "lr=0.05" in table.inner_text() and "lr=50" not in table.inner_text()
    page.wait_for_function(
        "() => document.querySelector('#paths').data.some(t => t.name === 'Adam lr=0.05')"
    )
    names = page.evaluate("document.querySelector('#paths').data.map(t => t.name)")
    assert not any("lr=50" in str(n) for n in names)
    assert "lr=50" not in page.inner_text("#surface-desc")
    page.screenshot(path=str(artifacts / "honest-refused.png"))
