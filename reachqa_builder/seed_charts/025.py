import matplotlib.pyplot as plt
import numpy as np

# Daily active users (thousands) of a fitness-tracking app over 2023, with a
# New Year spike and a summer slump; a marketing campaign ran in September.
rng = np.random.default_rng(2023)
days = np.arange(365)
trend = 42 + 0.025 * days
season = 9 * np.exp(-days / 25) - 5 * np.exp(-((days - 200) / 35) ** 2)
campaign = np.where((days >= 245) & (days < 275), 6 * np.sin(np.pi * (days - 245) / 30), 0)
weekly = 2.0 * np.sin(2 * np.pi * days / 7)
dau = trend + season + campaign + weekly + rng.normal(0, 0.8, days.size)
smooth = np.convolve(dau, np.ones(14) / 14, mode="same")

fig, ax = plt.subplots(figsize=(12, 6))
ax.fill_between(days, dau, color="#48cae4", alpha=0.45, label="Daily active users")
ax.plot(days, dau, color="#0096c7", linewidth=0.8)
ax.plot(days[7:-7], smooth[7:-7], color="#023e8a", linewidth=2.2, label="14-day average")

ax.axvspan(245, 275, color="#ffb703", alpha=0.2)
ax.text(260, 62, "Autumn\ncampaign", ha="center", fontsize=10)
ax.annotate("New Year's\nresolutions", xy=(3, dau[3]), xytext=(30, 60),
            arrowprops=dict(arrowstyle="->"), fontsize=10)

month_starts = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
ax.set_xticks(month_starts)
ax.set_xticklabels(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
ax.set_xlim(0, 364)
ax.set_ylim(0, 68)
ax.set_title("PulseTrack Daily Active Users, 2023", fontsize=15, fontweight="bold")
ax.set_ylabel("Users (thousands)")
ax.grid(alpha=0.3)
ax.legend(loc="lower right")

plt.tight_layout()
plt.show()
