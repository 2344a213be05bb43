import matplotlib.pyplot as plt
import numpy as np

# Sleep-deprivation study: mean simple reaction time (ms) of participants kept
# awake for up to 36 hours, by caffeine condition. Error bars show the
# standard error of the mean (n = 24 per group).
hours_awake = np.array([0, 6, 12, 18, 24, 30, 36])
placebo = np.array([252, 258, 271, 296, 338, 372, 401])
low_caffeine = np.array([249, 252, 262, 280, 309, 336, 360])
high_caffeine = np.array([247, 249, 255, 268, 288, 311, 332])
sem_placebo = np.array([6, 7, 8, 11, 14, 17, 20])
sem_low = np.array([6, 6, 7, 9, 12, 14, 16])
sem_high = np.array([5, 6, 7, 8, 10, 12, 14])

fig, ax = plt.subplots(figsize=(10, 6))
ax.errorbar(hours_awake, placebo, yerr=sem_placebo, fmt="-o", capsize=5, linewidth=2,
            color="#c0392b", label="Placebo")
ax.errorbar(hours_awake + 0.4, low_caffeine, yerr=sem_low, fmt="-s", capsize=5, linewidth=2,
            color="#e67e22", label="Caffeine 100 mg")
ax.errorbar(hours_awake + 0.8, high_caffeine, yerr=sem_high, fmt="-^", capsize=5, linewidth=2,
            color="#27ae60", label="Caffeine 200 mg")

ax.axhline(300, color="gray", linestyle="--", linewidth=1)
ax.text(0, 303, "Impairment threshold (300 ms)", fontsize=9, color="gray")

ax.set_title("Reaction Time During Extended Wakefulness", fontsize=15, fontweight="bold")
ax.set_xlabel("Hours awake")
ax.set_ylabel("Mean reaction time (ms)")
ax.set_xticks(hours_awake)
ax.grid(True, linestyle=":", alpha=0.6)
ax.legend(title="Condition", loc="upper left")

plt.tight_layout()
plt.show()
