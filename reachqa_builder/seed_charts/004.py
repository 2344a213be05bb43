import matplotlib.pyplot as plt
import numpy as np

# Paid subscribers (millions) of a regional video-streaming service in two
# markets, reported quarterly after launch.
quarters = ["Q1 22", "Q2 22", "Q3 22", "Q4 22", "Q1 23", "Q2 23", "Q3 23", "Q4 23"]
domestic = np.array([4.1, 4.6, 5.0, 5.9, 6.3, 6.4, 6.8, 7.6])
overseas = np.array([0.6, 0.9, 1.5, 2.2, 2.9, 3.8, 4.5, 5.6])
x = np.arange(len(quarters))

fig, ax = plt.subplots(figsize=(11, 6))
ax.plot(x, domestic, marker="o", color="#6a4c93", linewidth=2.4, label="Domestic market")
ax.plot(x, overseas, marker="s", color="#1982c4", linewidth=2.4, label="Overseas markets")

for xi, d, o in zip(x, domestic, overseas):
    ax.text(xi, d + 0.25, f"{d:.1f}M", ha="center", color="#6a4c93", fontsize=9)
    ax.text(xi, o - 0.5, f"{o:.1f}M", ha="center", color="#1982c4", fontsize=9)

growth = (overseas[-1] / overseas[0] - 1) * 100
ax.text(0.02, 0.95, f"Overseas growth since Q1 22: +{growth:.0f}%", transform=ax.transAxes,
        fontsize=11, va="top", bbox=dict(boxstyle="round", facecolor="#e0f0ff", edgecolor="#1982c4"))

ax.set_title("StreamNorth Paid Subscribers by Market", fontsize=15, fontweight="bold")
ax.set_xlabel("Quarter")
ax.set_ylabel("Subscribers (millions)")
ax.set_xticks(x)
ax.set_xticklabels(quarters)
ax.set_ylim(-0.5, 9)
ax.grid(axis="y", alpha=0.4)
ax.legend(loc="lower right")

plt.tight_layout()
plt.show()
