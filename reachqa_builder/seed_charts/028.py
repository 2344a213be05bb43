import matplotlib.pyplot as plt
import numpy as np

# Clinical audit: days until discharge after knee-replacement surgery, for
# patients on four rehabilitation protocols at a teaching hospital.
np.random.seed(12)
protocols = ["Standard care", "Early mobilisation", "Home physio", "Enhanced recovery"]
stays = [
    np.random.gamma(shape=9, scale=0.75, size=80) + 1,
    np.random.gamma(shape=7, scale=0.7, size=75) + 1,
    np.random.gamma(shape=6, scale=0.8, size=60) + 1,
    np.random.gamma(shape=5, scale=0.65, size=90) + 1,
]
colors = ["#ced4da", "#90e0ef", "#ffd6a5", "#b9fbc0"]

fig, ax = plt.subplots(figsize=(10, 6.5))
box = ax.boxplot(stays, patch_artist=True, widths=0.55, showmeans=True,
                 meanprops=dict(marker="D", markerfacecolor="black", markeredgecolor="black", markersize=5),
                 medianprops=dict(color="#d00000", linewidth=2),
                 flierprops=dict(marker="o", markersize=4, markerfacecolor="gray", alpha=0.6))
for patch, color in zip(box["boxes"], colors):
    patch.set_facecolor(color)

for i, sample in enumerate(stays, start=1):
    ax.text(i, np.max(sample) + 0.6, f"n={len(sample)}\nmedian {np.median(sample):.1f} d",
            ha="center", fontsize=9)

ax.set_xticks(range(1, len(protocols) + 1))
ax.set_xticklabels(protocols, fontsize=11)
ax.set_ylabel("Length of stay (days)", fontsize=12)
ax.set_ylim(0, 19)
ax.set_title("Hospital Stay After Knee Replacement by Rehab Protocol", fontsize=15, fontweight="bold")
ax.grid(axis="y", linestyle="--", alpha=0.5)

plt.tight_layout()
plt.show()
