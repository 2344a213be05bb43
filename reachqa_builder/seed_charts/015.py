import matplotlib.pyplot as plt
import numpy as np

# Robots in service at a logistics company's fulfilment centres, by robot
# type, at the end of each year.
years = ["2018", "2019", "2020", "2021", "2022", "2023"]
fleet = {
    "Autonomous mobile robots": [120, 260, 540, 910, 1320, 1710],
    "Robotic picking arms": [15, 40, 95, 180, 310, 470],
    "Sorting robots": [300, 380, 450, 520, 560, 600],
    "Inventory drones": [0, 0, 12, 45, 90, 160],
}
colors = ["#3a86ff", "#8338ec", "#ff006e", "#fb5607"]

fig, ax = plt.subplots(figsize=(10, 6.5))
bottom = np.zeros(len(years))
for (kind, counts), color in zip(fleet.items(), colors):
    counts = np.array(counts)
    ax.bar(years, counts, bottom=bottom, color=color, label=kind, width=0.6)
    bottom += counts

for i, total in enumerate(bottom):
    ax.text(i, total + 40, f"{int(total):,}", ha="center", fontweight="bold")

ax.annotate("Picking arms pass 10%\nof the fleet", xy=(4, 1320 + 155), xytext=(1.6, 2500),
            arrowprops=dict(arrowstyle="->"), fontsize=10)

ax.set_title("Warehouse Robot Fleet by Type, 2018-2023", fontsize=15, fontweight="bold")
ax.set_xlabel("Year end")
ax.set_ylabel("Robots in service")
ax.set_ylim(0, 3300)
ax.grid(axis="y", alpha=0.3)
ax.set_axisbelow(True)
ax.legend(loc="upper left")

plt.tight_layout()
plt.show()
