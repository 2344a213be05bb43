import matplotlib
import matplotlib.pyplot as plt
import numpy as np

# Finish times (hours) of a city marathon's 2023 runners, by age category.
np.random.seed(42)
categories = ["Under 25", "25-34", "35-44", "45-54", "55-64", "65+"]
centres = [4.05, 3.95, 4.05, 4.25, 4.55, 5.05]
spreads = [0.55, 0.50, 0.52, 0.55, 0.60, 0.70]
counts = [620, 1850, 2100, 1500, 640, 190]
times = [np.clip(np.random.normal(c, s, n), 2.2, 6.5) for c, s, n in zip(centres, spreads, counts)]

# boxplot(vert=False) became boxplot(orientation="horizontal") in matplotlib 3.10
version = tuple(int(v) for v in matplotlib.__version__.split(".")[:2])
layout = {"orientation": "horizontal"} if version >= (3, 10) else {"vert": False}

fig, ax = plt.subplots(figsize=(11, 6.5))
palette = plt.cm.cool(np.linspace(0.1, 0.9, len(categories)))
boxes = ax.boxplot(times, patch_artist=True, widths=0.55, showmeans=True, **layout,
                   meanprops=dict(marker="o", markerfacecolor="white", markeredgecolor="black"),
                   flierprops=dict(marker=".", markersize=3, alpha=0.4))
for patch, color in zip(boxes["boxes"], palette):
    patch.set_facecolor(color)
    patch.set_alpha(0.75)

ax.axvline(5.0, color="black", linestyle=":", linewidth=1)
ax.text(5.03, 6.35, "5-hour pacer", fontsize=10)
ax.axvline(3.0, color="black", linestyle=":", linewidth=1)
ax.text(3.03, 6.35, "Sub-3 hours", fontsize=10)

ax.set_yticks(range(1, len(categories) + 1))
ax.set_yticklabels([f"{c} (n={n:,})" for c, n in zip(categories, counts)])
ax.set_xlabel("Finish time (hours)", fontsize=12)
ax.set_ylabel("Age category", fontsize=12)
ax.set_xlim(2, 7)
ax.set_title("City Marathon 2023: Finish Times by Age Category", fontsize=15, fontweight="bold")
ax.grid(axis="x", alpha=0.3)

plt.tight_layout()
plt.show()
