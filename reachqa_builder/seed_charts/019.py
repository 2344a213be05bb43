import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

# Green-coffee exports (thousand tonnes) of three producing countries,
# split by bean variety, for three harvest years.
countries = ["Colombia", "Ethiopia", "Vietnam"]
years = ["2021", "2022", "2023"]
varieties = ["Arabica", "Robusta", "Specialty lots"]
exports = np.array([
    # rows: countries, columns: years, depth: varieties
    [[620, 20, 85], [590, 25, 96], [640, 22, 110]],
    [[230, 0, 60], [250, 0, 72], [265, 0, 81]],
    [[90, 1450, 12], [110, 1380, 15], [130, 1510, 20]],
], dtype=float)
colors = ["#6f4e37", "#c8a27c", "#e63946"]

fig = plt.figure(figsize=(11, 8))
ax = fig.add_subplot(projection="3d")
dx, dy = 0.5, 0.5
for ci in range(len(countries)):
    for yi in range(len(years)):
        base = 0.0
        for vi, color in enumerate(colors):
            height = exports[ci, yi, vi]
            if height > 0:
                ax.bar3d(yi - dx / 2, ci - dy / 2, base, dx, dy, height, color=color,
                         edgecolor="black", linewidth=0.3, alpha=0.95)
            base += height

ax.set_xticks(range(len(years)))
ax.set_xticklabels(years)
ax.set_yticks(range(len(countries)))
ax.set_yticklabels(countries)
ax.set_zlabel("Exports (thousand tonnes)", labelpad=12)
ax.set_xlabel("Harvest year", labelpad=10)
ax.set_title("Coffee Exports by Country, Year and Variety", fontsize=15, fontweight="bold")
ax.view_init(elev=22, azim=-60)
ax.legend(handles=[Patch(facecolor=c, label=v) for c, v in zip(colors, varieties)],
          title="Variety", loc="upper left")

fig.subplots_adjust(left=0.02, right=0.92, bottom=0.05, top=0.93)
plt.show()
