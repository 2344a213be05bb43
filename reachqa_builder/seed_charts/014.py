import matplotlib.pyplot as plt
import numpy as np

# Food lost or wasted per person per year (kg), by stage of the supply chain,
# in six countries (estimates compiled for a sustainability report).
countries = ["Canada", "Brazil", "Germany", "India", "Japan", "Kenya"]
stages = {
    "Farm & harvest": np.array([38, 61, 24, 55, 18, 72]),
    "Processing": np.array([27, 34, 21, 19, 22, 15]),
    "Retail": np.array([18, 22, 14, 9, 16, 6]),
    "Households": np.array([79, 60, 75, 50, 64, 40]),
}
colors = ["#6a994e", "#a7c957", "#f2e8cf", "#bc4749"]

fig, ax = plt.subplots(figsize=(11, 6.5))
bottom = np.zeros(len(countries))
for (stage, values), color in zip(stages.items(), colors):
    ax.bar(countries, values, bottom=bottom, label=stage, color=color, edgecolor="black", linewidth=0.5)
    bottom += values

for i, total in enumerate(bottom):
    ax.text(i, total + 3, f"{total:.0f} kg", ha="center", fontsize=11, fontweight="bold")

ax.set_title("Food Loss and Waste per Person by Supply-Chain Stage", fontsize=15, fontweight="bold")
ax.set_xlabel("Country", fontsize=12)
ax.set_ylabel("Kilograms per person per year", fontsize=12)
ax.set_ylim(0, 220)
ax.grid(axis="y", linestyle="--", alpha=0.4)
ax.set_axisbelow(True)
ax.legend(title="Stage", loc="upper right", ncol=2)

plt.tight_layout()
plt.show()
