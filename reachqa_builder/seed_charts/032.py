import matplotlib.pyplot as plt
import numpy as np

# Country-level health survey: health spending per person versus life
# expectancy at birth for 60 countries, coloured by world region.
rng = np.random.default_rng(5)
regions = {
    "Africa": (14, 150, 62, "#e76f51"),
    "Asia": (16, 900, 73, "#2a9d8f"),
    "Europe": (15, 3600, 80, "#264653"),
    "Americas": (15, 1800, 76, "#e9c46a"),
}

fig, ax = plt.subplots(figsize=(11, 7))
for region, (n, typical_spend, typical_life, color) in regions.items():
    spend = typical_spend * rng.lognormal(0, 0.55, n)
    life = typical_life + 4.2 * np.log(spend / typical_spend) + rng.normal(0, 1.8, n)
    ax.scatter(spend, np.clip(life, 50, 86), s=70, color=color, alpha=0.8,
               edgecolor="black", linewidth=0.5, label=region)

ax.set_xscale("log")
ax.set_xticks([50, 100, 300, 1000, 3000, 10000])
ax.set_xticklabels(["$50", "$100", "$300", "$1k", "$3k", "$10k"])
ax.annotate("Diminishing returns\nabove ~$3k per person", xy=(5000, 82), xytext=(9000, 70),
            arrowprops=dict(arrowstyle="->"), fontsize=10, ha="center")

ax.set_title("Health Spending vs Life Expectancy, 60 Countries", fontsize=15, fontweight="bold")
ax.set_xlabel("Health spending per person (USD, log scale)", fontsize=12)
ax.set_ylabel("Life expectancy at birth (years)", fontsize=12)
ax.grid(True, which="major", alpha=0.3)
ax.legend(title="Region", loc="lower right")

plt.tight_layout()
plt.show()
