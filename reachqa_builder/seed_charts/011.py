import matplotlib.pyplot as plt
import numpy as np

# Average one-way commute time (minutes) in five cities, by travel mode,
# from a 2023 regional mobility survey.
cities = ["Lisbon", "Warsaw", "Toronto", "Seoul", "Melbourne"]
car = [28, 33, 31, 38, 30]
transit = [41, 39, 47, 44, 49]
bicycle = [22, 24, 27, 30, 25]

x = np.arange(len(cities))
width = 0.26

fig, ax = plt.subplots(figsize=(11, 6))
ax.bar(x - width, car, width, label="Car", color="#577590", edgecolor="black", linewidth=0.6)
ax.bar(x, transit, width, label="Public transit", color="#f9c74f", edgecolor="black", linewidth=0.6)
ax.bar(x + width, bicycle, width, label="Bicycle", color="#90be6d", edgecolor="black", linewidth=0.6)

overall = np.mean([car, transit, bicycle])
ax.axhline(overall, color="#f94144", linestyle="--", linewidth=1.5)
ax.text(len(cities) - 0.5, overall + 1, f"Five-city average: {overall:.1f} min",
        ha="right", color="#f94144", fontsize=10)

ax.set_title("Average Commute Time by City and Travel Mode (2023)", fontsize=15, fontweight="bold")
ax.set_xlabel("City", fontsize=12)
ax.set_ylabel("One-way commute (minutes)", fontsize=12)
ax.set_xticks(x)
ax.set_xticklabels(cities, fontsize=11)
ax.set_ylim(0, 64)
ax.grid(axis="y", linestyle=":", alpha=0.6)
ax.set_axisbelow(True)
ax.legend(title="Mode", ncol=3, loc="upper left")

plt.tight_layout()
plt.show()
