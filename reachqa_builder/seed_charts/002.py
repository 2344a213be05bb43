import matplotlib.pyplot as plt
import numpy as np

# Storage level (% of capacity) of three reservoirs that supply a metropolitan
# water utility, measured at the start of each month over two years.
months = np.arange(24)
month_labels = [f"{m} {y}" for y in ("'22", "'23") for m in
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]]

seasonal = 12 * np.cos(2 * np.pi * (months - 2) / 12)
drought = np.where((months >= 15) & (months <= 20), -(months - 14) * 3.0, 0.0)
drought = np.where(months > 20, -18 + (months - 20) * 6.0, drought)

north_lake = 78 + seasonal + drought
cedar_dam = 64 + 0.8 * seasonal + 0.7 * drought
south_basin = 55 + 1.3 * seasonal + 1.2 * drought

fig, ax = plt.subplots(figsize=(12, 6))
ax.plot(months, north_lake, color="#1b6ca8", linewidth=2.5, label="North Lake")
ax.plot(months, cedar_dam, color="#2a9d8f", linewidth=2.5, linestyle="--", label="Cedar Dam")
ax.plot(months, south_basin, color="#e76f51", linewidth=2.5, linestyle="-.", label="South Basin")

ax.axhline(40, color="black", linewidth=1, linestyle=":")
ax.text(0.2, 41, "Water-restriction threshold (40%)", fontsize=9)
ax.axvspan(15, 20, color="#f4a261", alpha=0.15, label="Declared drought")

lowest = int(np.argmin(south_basin))
ax.annotate(f"Record low: {south_basin[lowest]:.0f}%",
            xy=(lowest, south_basin[lowest]), xytext=(lowest - 8, south_basin[lowest] + 2),
            arrowprops=dict(arrowstyle="->", color="black"), fontsize=10)

ax.set_title("Monthly Reservoir Storage Levels, 2022-2023", fontsize=15, fontweight="bold")
ax.set_ylabel("Storage (% of capacity)")
ax.set_xticks(months[::2])
ax.set_xticklabels(month_labels[::2], rotation=45, ha="right")
ax.set_ylim(0, 100)
ax.grid(True, alpha=0.3)
ax.legend(loc="upper right", ncol=2)

plt.tight_layout()
plt.show()
