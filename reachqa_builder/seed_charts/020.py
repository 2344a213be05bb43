import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

# Answers to "How do you usually pay in shops?" in a yearly consumer survey,
# by age group. Shares of respondents (%) in each group sum to 100.
age_groups = ["18-29", "30-44", "45-59", "60+"]
years = ["2019", "2021", "2023"]
methods = ["Cash", "Card", "Mobile wallet"]
counts = np.array([
    [[210, 590, 200], [120, 560, 320], [70, 480, 450]],
    [[260, 640, 100], [160, 650, 190], [110, 600, 290]],
    [[380, 580, 40], [250, 660, 90], [190, 650, 160]],
    [[610, 380, 10], [470, 500, 30], [390, 540, 70]],
], dtype=float)
percent = counts / counts.sum(axis=2, keepdims=True) * 100
colors = ["#2a9d8f", "#e9c46a", "#e76f51"]

fig = plt.figure(figsize=(11, 8))
ax = fig.add_subplot(projection="3d")
# Each column stacks the three shares; a layer starts where the layers below it end.
starts = np.cumsum(percent, axis=2) - percent
for gi, yi in np.ndindex(percent.shape[:2]):
    for mi, color in enumerate(colors):
        ax.bar3d(gi - 0.25, yi - 0.25, starts[gi, yi, mi], 0.5, 0.5, percent[gi, yi, mi],
                 color=color, edgecolor="white", linewidth=0.4)

# Label the mobile-wallet share of the most recent survey on top of each column.
for gi, group in enumerate(age_groups):
    ax.text(gi, len(years) - 1, 104, f"{percent[gi, -1, 2]:.0f}%", ha="center", fontsize=9,
            color=colors[2], fontweight="bold")

ax.set_xticks(range(len(age_groups)), labels=age_groups)
ax.set_yticks(range(len(years)), labels=years)
ax.set_zlim(0, 110)
ax.set_xlabel("Age group", labelpad=10)
ax.set_ylabel("Survey year", labelpad=10)
ax.set_zlabel("Share of respondents (%)", labelpad=10)
ax.set_title("Preferred In-Store Payment Method by Age Group\n(labels: mobile-wallet share in 2023)",
             fontsize=14, fontweight="bold")
ax.view_init(elev=20, azim=-50)
ax.legend(handles=[Patch(facecolor=c, label=m) for c, m in zip(colors, methods)],
          title="Payment method", loc="upper left")

fig.subplots_adjust(left=0.02, right=0.92, bottom=0.05, top=0.93)
plt.show()
