import matplotlib.pyplot as plt
import numpy as np

# How a mid-sized brewery's operating profit moved from 2022 to 2023
# (million euros): each bar is one driver of the change.
steps = ["2022 profit", "Volume growth", "Price increases", "Barley & hops", "Energy",
         "Wages", "Marketing", "FX effects", "2023 profit"]
changes = [12.4, 3.1, 4.6, -2.9, -3.8, -1.7, -0.9, 0.6, None]
changes[-1] = sum(changes[:-1])

bottoms, heights, colors = [], [], []
running = 0.0
for i, value in enumerate(changes):
    if i == 0 or i == len(changes) - 1:
        bottoms.append(0.0)
        heights.append(value)
        colors.append("#3d5a80")
        running = value
    else:
        bottoms.append(running if value >= 0 else running + value)
        heights.append(abs(value))
        colors.append("#2a9d8f" if value >= 0 else "#e76f51")
        running += value

fig, ax = plt.subplots(figsize=(12, 6.5))
x = np.arange(len(steps))
ax.bar(x, heights, bottom=bottoms, color=colors, edgecolor="black", linewidth=0.6, width=0.6)

for i in range(len(steps) - 1):
    level = bottoms[i] + heights[i] if (i == 0 or changes[i] >= 0) else bottoms[i]
    ax.plot([i + 0.3, i + 0.7], [level, level], color="gray", linewidth=1, linestyle="--")

for i, value in enumerate(changes):
    top = bottoms[i] + heights[i]
    label = f"{value:.1f}" if i in (0, len(changes) - 1) else f"{value:+.1f}"
    ax.text(i, top + 0.3, label, ha="center", fontsize=10, fontweight="bold")

ax.set_xticks(x)
ax.set_xticklabels(steps, rotation=25, ha="right")
ax.set_ylabel("Operating profit (EUR million)")
ax.set_ylim(0, 22)
ax.set_title("Operating Profit Bridge, 2022 to 2023", fontsize=15, fontweight="bold")
ax.grid(axis="y", alpha=0.3)
ax.set_axisbelow(True)

plt.tight_layout()
plt.show()
