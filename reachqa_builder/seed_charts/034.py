import matplotlib.pyplot as plt
import numpy as np

# Battery ageing test: remaining capacity of lithium-ion cells cycled at
# two temperatures. Each point is one measurement; the curves are
# exponential-decay fits made with a log-linear least-squares fit.
rng = np.random.default_rng(17)
cycles = np.arange(0, 2001, 50)
conditions = {"25 °C": (0.00011, "#2a9d8f"), "45 °C": (0.00024, "#e63946")}

fig, ax = plt.subplots(figsize=(11, 6.5))
for label, (rate, color) in conditions.items():
    capacity = 100 * np.exp(-rate * cycles) + rng.normal(0, 0.9, cycles.size)
    slope, intercept = np.polyfit(cycles, np.log(capacity), 1)
    dense = np.linspace(0, 2000, 400)
    fitted = np.exp(intercept + slope * dense)
    ax.scatter(cycles, capacity, color=color, s=28, alpha=0.7, label=f"Measured, {label}")
    ax.plot(dense, fitted, color=color, linewidth=2.2, label=f"Fit, {label}: {-slope * 1e4:.1f}% loss per 100 cycles")
    end_of_life = np.log(80 / np.exp(intercept)) / slope
    if end_of_life <= 2000:
        ax.plot(end_of_life, 80, marker="X", markersize=12, color=color)
        ax.annotate(f"80% after {end_of_life:.0f} cycles", xy=(end_of_life, 80),
                    xytext=(end_of_life - 650, 73), arrowprops=dict(arrowstyle="->", color=color),
                    color=color, fontsize=10)

ax.axhline(80, color="black", linestyle=":", linewidth=1)
ax.text(1990, 80.6, "End-of-life threshold", ha="right", fontsize=9)
ax.set_title("Capacity Fade of Li-ion Cells at Two Temperatures", fontsize=15, fontweight="bold")
ax.set_xlabel("Charge-discharge cycles")
ax.set_ylabel("Remaining capacity (%)")
ax.set_xlim(-30, 2030)
ax.set_ylim(55, 103)
ax.grid(alpha=0.3)
ax.legend(loc="lower left", fontsize=9)

plt.tight_layout()
plt.show()
