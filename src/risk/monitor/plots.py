"""The plots of a ``risk monitor`` report: the PSI of the inputs and the back-test by month."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risk.monitor.drift import PSI_ALERT, PSI_WARN


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_psi(psi: pd.DataFrame, path: Path) -> Path:
    """Horizontal bars of the 20 largest PSIs with the watch and alert thresholds."""
    plt = _pyplot()
    top = psi.head(20).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(top) + 1.5))
    colours = ["tab:gray" if s == "seasonal" else "tab:blue" for s in top["status"]]
    ax.barh(top["variable"], top["psi"], color=colours)
    for x, style in ((PSI_WARN, ":"), (PSI_ALERT, "--")):
        ax.axvline(x, color="tab:red", linestyle=style)
    ax.set_xlabel("population stability index (grey: calendar input, not alerted)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_backtest(backtest: pd.DataFrame, path: Path) -> Path:
    """Realised (solid, crosses on underestimated cells) against predicted (dashed) late rate
    by month, one colour per grade."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    months = sorted(backtest["month"].unique())
    position = {m: i for i, m in enumerate(months)}  # one time axis for every grade
    for i, (grade, rows) in enumerate(backtest.groupby("grade", sort=True)):
        colour, x = f"C{i}", rows["month"].map(position)
        ax.plot(x, rows["realised"], "o-", color=colour, label=f"{grade} realised")
        ax.plot(x, rows["predicted"], "--", color=colour, label=f"{grade} predicted")
        flagged = rows["underestimated"].astype(bool).to_numpy()
        ax.plot(x[flagged], rows["realised"][flagged], "x", color="black", markersize=10)
    ax.set_xticks(range(len(months)), months)
    if backtest.empty:
        ax.text(0.5, 0.5, "no matured row after the validation window", ha="center")
    ax.set_ylabel("late rate")
    ax.set_xlabel("month (x: underestimated, Jeffreys p < 0.05)")
    ax.tick_params(axis="x", rotation=45)
    if not backtest.empty:
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
