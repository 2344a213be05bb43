import matplotlib.pyplot as plt
import numpy as np

# Electricity generation mix in 2023 (terawatt-hours by source), shown as
# the share of each country's total.
countries = ["France", "Poland", "Norway", "Spain", "Japan", "Australia"]
sources = ["Coal", "Gas", "Nuclear", "Hydro", "Wind & solar", "Other"]
twh = np.array([
    [2, 30, 320, 50, 80, 18],
    [100, 18, 0, 3, 35, 8],
    [0, 2, 0, 136, 16, 1],
    [3, 70, 54, 26, 118, 12],
    [290, 330, 80, 75, 130, 100],
    [120, 45, 0, 15, 85, 6],
], dtype=float)
shares = twh / twh.sum(axis=1, keepdims=True) * 100
colors = ["#3d405b", "#e07a5f", "#f2cc8f", "#4d908e", "#81b29a", "#bdbdbd"]

fig, ax = plt.subplots(figsize=(11, 6.5))
bottom = np.zeros(len(countries))
for j, (source, color) in enumerate(zip(sources, colors)):
    ax.bar(countries, shares[:, j], bottom=bottom, color=color, label=source, edgecolor="white")
    for i, share in enumerate(shares[:, j]):
        if share >= 6:
            ax.text(i, bottom[i] + share / 2, f"{share:.0f}%", ha="center", va="center",
                    fontsize=9, color="white" if j in (0, 3) else "black")
    bottom += shares[:, j]

ax.set_title("Electricity Generation Mix by Country, 2023", fontsize=15, fontweight="bold")
ax.set_ylabel("Share of generation (%)", fontsize=12)
ax.set_ylim(0, 100)
ax.set_yticks(range(0, 101, 20))
ax.legend(title="Source", loc="center left", bbox_to_anchor=(1.01, 0.5))

plt.tight_layout()
plt.show()
