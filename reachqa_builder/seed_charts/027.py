import matplotlib.pyplot as plt
import numpy as np

# Electricity drawn by a hyperscale data centre over one week in July
# (megawatts, hourly), split into IT load, cooling and other overheads.
rng = np.random.default_rng(42)
hours = np.arange(24 * 7)
hour_of_day = hours % 24
it_load = 38 + 6 * np.sin(2 * np.pi * (hour_of_day - 9) / 24) + rng.normal(0, 0.6, hours.size)
it_load[hours >= 120] -= 4  # weekend
outdoor_temp = 24 + 8 * np.sin(2 * np.pi * (hour_of_day - 10) / 24)
cooling = 0.18 * it_load + 0.45 * np.clip(outdoor_temp - 20, 0, None) + rng.normal(0, 0.3, hours.size)
power_losses = 0.06 * it_load
lighting_misc = np.full(hours.size, 1.2)

fig, ax = plt.subplots(figsize=(13, 6))
ax.stackplot(hours, it_load, cooling, power_losses, lighting_misc,
             labels=["IT equipment", "Cooling", "Power conversion losses", "Lighting & misc."],
             colors=["#3a0ca3", "#4cc9f0", "#f72585", "#b5b5b5"], alpha=0.85)

total = it_load + cooling + power_losses + lighting_misc
pue = total.sum() / it_load.sum()
ax.text(0.99, 0.96, f"Average PUE this week: {pue:.2f}", transform=ax.transAxes, ha="right",
        va="top", fontsize=11, bbox=dict(boxstyle="round", facecolor="white", edgecolor="#3a0ca3"))

ax.set_xticks(np.arange(0, 24 * 7 + 1, 24))
ax.set_xticklabels(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", ""])
ax.set_xlim(0, 24 * 7 - 1)
ax.set_ylim(0, 75)
ax.set_title("Data Centre Power Draw by Component, One July Week", fontsize=15, fontweight="bold")
ax.set_xlabel("Day (hourly readings)")
ax.set_ylabel("Power (MW)")
ax.legend(loc="upper left", ncol=2)
ax.grid(alpha=0.25)

plt.tight_layout()
plt.show()
