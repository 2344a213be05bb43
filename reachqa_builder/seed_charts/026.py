import matplotlib.pyplot as plt
import numpy as np

# Estimated global plastic production (million tonnes per year) by the
# sector that uses it, 1990-2020 in five-year steps.
years = np.arange(1990, 2021, 5)
sectors = {
    "Packaging": np.array([42, 56, 74, 95, 118, 141, 158]),
    "Building & construction": np.array([20, 26, 33, 42, 52, 62, 70]),
    "Textiles": np.array([14, 19, 26, 35, 44, 54, 61]),
    "Consumer products": np.array([13, 17, 22, 28, 34, 40, 45]),
    "Transportation": np.array([8, 11, 14, 18, 23, 27, 30]),
    "Electrical & electronics": np.array([5, 7, 10, 13, 16, 19, 22]),
    "Other": np.array([10, 13, 17, 22, 27, 32, 36]),
}
colors = plt.cm.Set2(np.linspace(0, 1, len(sectors)))

fig, ax = plt.subplots(figsize=(12, 7))
ax.stackplot(years, list(sectors.values()), labels=list(sectors), colors=colors, alpha=0.9,
             edgecolor="white", linewidth=0.8)

totals = np.sum(list(sectors.values()), axis=0)
ax.plot(years, totals, color="black", linewidth=1.5, marker="o", markersize=4)
for year, total in zip(years, totals):
    ax.text(year, total + 8, f"{total}", ha="center", fontsize=9)

ax.set_title("Global Plastic Production by Using Sector, 1990-2020", fontsize=15, fontweight="bold")
ax.set_xlabel("Year")
ax.set_ylabel("Production (million tonnes)")
ax.set_xticks(years)
ax.set_xlim(1990, 2020)
ax.set_ylim(0, 480)
ax.legend(loc="upper left", fontsize=9, title="Sector")
ax.grid(axis="y", alpha=0.3)

plt.tight_layout()
plt.show()
