import matplotlib.pyplot as plt
import numpy as np

# Parcel delivery times (hours from dispatch to doorstep) for five courier
# companies, sampled from 2,000 tracked shipments in one city.
rng = np.random.default_rng(314)
couriers = ["SwiftPost", "ParcelGo", "CityDash", "NationalMail", "GreenCargo"]
samples = [
    rng.lognormal(mean=np.log(20), sigma=0.35, size=400),
    rng.lognormal(mean=np.log(26), sigma=0.30, size=400),
    rng.lognormal(mean=np.log(9), sigma=0.55, size=400),
    rng.lognormal(mean=np.log(40), sigma=0.40, size=400),
    rng.lognormal(mean=np.log(30), sigma=0.25, size=400),
]
colors = ["#ef476f", "#ffd166", "#06d6a0", "#118ab2", "#73a942"]

fig, ax = plt.subplots(figsize=(11, 6.5))
parts = ax.boxplot(samples, patch_artist=True, notch=True, widths=0.5, whis=(5, 95),
                   showfliers=False, medianprops=dict(color="black", linewidth=1.8))
for patch, color in zip(parts["boxes"], colors):
    patch.set_facecolor(color)
    patch.set_alpha(0.8)

ax.axhline(24, color="#6c757d", linestyle="--", linewidth=1.2)
ax.text(5.45, 25, "Next-day promise (24 h)", ha="right", fontsize=10, color="#6c757d")

for i, sample in enumerate(samples, start=1):
    on_time = np.mean(sample <= 24) * 100
    ax.text(i, 2, f"{on_time:.0f}% within 24 h", ha="center", fontsize=9)

ax.set_xticks(range(1, len(couriers) + 1))
ax.set_xticklabels(couriers, fontsize=11)
ax.set_ylabel("Delivery time (hours)")
ax.set_ylim(0, 85)
ax.set_title("Parcel Delivery Time by Courier (whiskers: 5th-95th percentile)",
             fontsize=14, fontweight="bold")
ax.grid(axis="y", alpha=0.3)

plt.tight_layout()
plt.show()
