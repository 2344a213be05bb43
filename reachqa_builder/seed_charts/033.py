import matplotlib.pyplot as plt
import numpy as np

# Weekly digital advertising spend versus online sales for a furniture
# retailer over two years, with a quadratic fit that shows saturation.
np.random.seed(8)
ad_spend = np.random.uniform(5, 60, 104)  # thousand dollars per week
sales = 40 + 6.2 * ad_spend - 0.055 * ad_spend ** 2 + np.random.normal(0, 18, ad_spend.size)

coeffs = np.polyfit(ad_spend, sales, deg=2)
fit = np.poly1d(coeffs)
grid = np.linspace(ad_spend.min(), ad_spend.max(), 300)
residual_sd = np.std(sales - fit(ad_spend))
r_squared = 1 - np.sum((sales - fit(ad_spend)) ** 2) / np.sum((sales - sales.mean()) ** 2)

fig, ax = plt.subplots(figsize=(10, 6.5))
ax.scatter(ad_spend, sales, s=45, color="#4361ee", alpha=0.65, edgecolor="white", label="Weekly observation")
ax.plot(grid, fit(grid), color="#f72585", linewidth=2.5, label="Quadratic fit")
ax.fill_between(grid, fit(grid) - 2 * residual_sd, fit(grid) + 2 * residual_sd,
                color="#f72585", alpha=0.12, label="±2 SD band")

best = -coeffs[1] / (2 * coeffs[0])
if ad_spend.min() < best < ad_spend.max():
    ax.axvline(best, color="gray", linestyle="--")
    ax.text(best - 1, 60, f"Returns flatten\nnear ${best:.0f}k/week", ha="right", fontsize=10)

ax.text(0.02, 0.97, f"sales = {coeffs[0]:.3f}x² + {coeffs[1]:.2f}x + {coeffs[2]:.1f}\nR² = {r_squared:.2f}",
        transform=ax.transAxes, va="top", fontsize=10,
        bbox=dict(boxstyle="round", facecolor="white", edgecolor="#adb5bd"))
ax.set_title("Ad Spend vs Online Sales (Weekly, 2022-2023)", fontsize=15, fontweight="bold")
ax.set_xlabel("Digital ad spend (thousand USD)")
ax.set_ylabel("Online sales (thousand USD)")
ax.grid(alpha=0.3)
ax.legend(loc="lower right")

plt.tight_layout()
plt.show()
