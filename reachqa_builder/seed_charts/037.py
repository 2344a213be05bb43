import matplotlib.pyplot as plt
import numpy as np

# Average page views per hour on a news website during one month, by day of
# the week and hour of the day (thousands).
np.random.seed(3)
days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
hours = np.arange(24)
morning = np.exp(-((hours - 8) / 2.0) ** 2)
lunch = 0.6 * np.exp(-((hours - 13) / 1.5) ** 2)
evening = 0.9 * np.exp(-((hours - 21) / 2.5) ** 2)
base = 8 + 40 * (morning + lunch + evening)

traffic = np.array([base * f for f in (1.05, 1.0, 1.02, 0.98, 0.9, 0.7, 0.75)])
traffic[5:, 6:10] *= 0.6  # weekend mornings are slow
traffic[5:, 10:13] *= 1.3  # ... and late mornings busy
traffic += np.random.uniform(-1.5, 1.5, traffic.shape)

fig, ax = plt.subplots(figsize=(14, 5.5))
image = ax.imshow(traffic, cmap="YlOrRd", aspect="auto")
cbar = fig.colorbar(image, ax=ax, pad=0.01)
cbar.set_label("Page views per hour (thousands)")

ax.set_xticks(hours)
ax.set_xticklabels([f"{h:02d}" for h in hours])
ax.set_yticks(np.arange(len(days)))
ax.set_yticklabels(days)
ax.set_xlabel("Hour of day")

peak_day, peak_hour = np.unravel_index(np.argmax(traffic), traffic.shape)
ax.add_patch(plt.Rectangle((peak_hour - 0.5, peak_day - 0.5), 1, 1, fill=False, edgecolor="blue", linewidth=2.5))
ax.text(peak_hour + 0.7, peak_day, f"Peak: {traffic[peak_day, peak_hour]:.0f}k", va="center",
        color="blue", fontsize=10, fontweight="bold")

ax.set_title("News Site Traffic by Weekday and Hour (March average)", fontsize=15, fontweight="bold")

plt.tight_layout()
plt.show()
