import matplotlib.pyplot as plt
import numpy as np

# Field trial: nitrate concentration in soil water (mg/L) after applying
# three fertiliser types to wheat plots. Each point averages 5 plots; the
# error bars show one standard deviation.
np.random.seed(7)
weeks = np.arange(0, 13, 2)
treatments = {
    "Synthetic urea": 8 + 34 * np.exp(-weeks / 4.0),
    "Composted manure": 8 + 18 * np.exp(-weeks / 7.0),
    "Slow-release pellets": 8 + 14 * (1 - np.exp(-weeks / 2.5)) * np.exp(-weeks / 14.0),
}
colors = {"Synthetic urea": "#d1495b", "Composted manure": "#8d6a9f", "Slow-release pellets": "#00798c"}

fig, ax = plt.subplots(figsize=(10, 6))
for name, mean in treatments.items():
    std = 0.12 * mean + np.random.uniform(0.5, 1.5, size=mean.size)
    ax.errorbar(weeks, mean, yerr=std, marker="o", capsize=4, elinewidth=1.2,
                linewidth=2, color=colors[name], label=name)

ax.axhline(11.3, color="black", linestyle="--", linewidth=1)
ax.text(7.2, 8.8, "Drinking-water limit (11.3 mg/L)", fontsize=9)

ax.set_title("Soil-Water Nitrate After Fertiliser Application", fontsize=15, fontweight="bold")
ax.set_xlabel("Weeks after application")
ax.set_ylabel("Nitrate (mg/L)")
ax.set_xticks(weeks)
ax.set_ylim(0, 50)
ax.grid(True, alpha=0.3)
ax.legend(loc="upper right")

plt.tight_layout()
plt.show()
