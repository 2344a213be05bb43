import matplotlib.pyplot as plt
import numpy as np

# Average daily smartphone screen time (hours) reported by a national
# digital-wellbeing survey, split by age group, 2012-2023.
years = np.arange(2012, 2024)
screen_time = {
    "Teens (13-17)": [2.9, 3.3, 3.8, 4.2, 4.6, 5.0, 5.4, 5.7, 7.1, 6.8, 6.6, 6.9],
    "Young adults (18-29)": [2.6, 3.0, 3.4, 3.9, 4.3, 4.6, 4.9, 5.1, 6.2, 5.9, 5.8, 6.0],
    "Adults (30-49)": [1.7, 2.0, 2.3, 2.6, 2.9, 3.2, 3.5, 3.7, 4.6, 4.4, 4.3, 4.4],
    "Seniors (65+)": [0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 2.3, 2.2, 2.2, 2.4],
}
markers = ["o", "s", "^", "D"]
colors = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]

fig, ax = plt.subplots(figsize=(11, 6))
for (group, values), marker, color in zip(screen_time.items(), markers, colors):
    ax.plot(years, values, marker=marker, color=color, linewidth=2.2, markersize=6, label=group)

# Highlight the lockdown year, when every group jumped.
ax.axvspan(2019.6, 2020.4, color="grey", alpha=0.15)
ax.text(2020, 7.5, "Pandemic\nlockdowns", ha="center", va="bottom", fontsize=10, color="dimgray")

ax.set_title("Daily Smartphone Screen Time by Age Group, 2012-2023", fontsize=15, fontweight="bold")
ax.set_xlabel("Survey year", fontsize=12)
ax.set_ylabel("Average hours per day", fontsize=12)
ax.set_xticks(years)
ax.set_ylim(0, 8.5)
ax.grid(True, linestyle="--", alpha=0.5)
ax.legend(title="Age group", loc="upper left", frameon=True)

plt.tight_layout()
plt.show()
