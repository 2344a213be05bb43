import matplotlib.pyplot as plt
import numpy as np

# Export value (billions of euros) of a small open economy's five largest
# product groups, comparing 2019 with 2023.
products = ["Machinery", "Pharmaceuticals", "Vehicles", "Electronics", "Food & drink"]
exports_2019 = np.array([18.4, 12.1, 9.7, 8.2, 6.5])
exports_2023 = np.array([21.0, 17.8, 8.9, 10.6, 7.9])

x = np.arange(len(products))
width = 0.38

fig, ax = plt.subplots(figsize=(11, 6.5))
bars_2019 = ax.bar(x - width / 2, exports_2019, width, label="2019", color="#adb5bd")
bars_2023 = ax.bar(x + width / 2, exports_2023, width, label="2023", color="#0077b6")

ax.bar_label(bars_2019, fmt="%.1f", padding=3, fontsize=10)
ax.bar_label(bars_2023, fmt="%.1f", padding=3, fontsize=10, fontweight="bold")

# Percentage change written above each pair.
for xi, old, new in zip(x, exports_2019, exports_2023):
    change = (new - old) / old * 100
    color = "#2b9348" if change >= 0 else "#d00000"
    ax.text(xi, max(old, new) + 2.2, f"{change:+.0f}%", ha="center", color=color,
            fontsize=11, fontweight="bold")

ax.set_title("Top Export Product Groups: 2019 vs 2023", fontsize=15, fontweight="bold")
ax.set_ylabel("Export value (EUR billion)", fontsize=12)
ax.set_xticks(x)
ax.set_xticklabels(products, fontsize=11)
ax.set_ylim(0, 26)
ax.legend(title="Year", loc="upper right")
ax.spines["top"].set_visible(False)
ax.spines["right"].set_visible(False)

plt.tight_layout()
plt.show()
