import matplotlib.pyplot as plt
import numpy as np

# Wind rose for a proposed wind-farm site: share of hours (%) the wind blew
# from each of 16 compass directions over a year, split by wind speed.
directions = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
              "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
calm = np.array([1.8, 1.5, 1.2, 1.0, 1.1, 1.3, 1.6, 1.9, 2.3, 2.8, 3.2, 3.0, 2.6, 2.2, 2.0, 1.9])
moderate = np.array([1.2, 0.9, 0.7, 0.5, 0.6, 0.7, 1.0, 1.4, 2.1, 3.0, 3.8, 3.5, 2.9, 2.2, 1.7, 1.4])
strong = np.array([0.5, 0.3, 0.2, 0.1, 0.2, 0.2, 0.3, 0.6, 1.1, 1.9, 2.7, 2.4, 1.8, 1.2, 0.8, 0.6])

angles = np.linspace(0, 2 * np.pi, len(directions), endpoint=False)
width = 2 * np.pi / len(directions) * 0.9

fig, ax = plt.subplots(figsize=(9, 9), subplot_kw=dict(projection="polar"))
ax.set_theta_zero_location("N")
ax.set_theta_direction(-1)
ax.bar(angles, calm, width=width, color="#caf0f8", edgecolor="#0077b6", label="< 4 m/s")
ax.bar(angles, moderate, width=width, bottom=calm, color="#48cae4", edgecolor="#0077b6", label="4-8 m/s")
ax.bar(angles, strong, width=width, bottom=calm + moderate, color="#023e8a", edgecolor="#0077b6", label="> 8 m/s")

ax.set_xticks(angles)
ax.set_xticklabels(directions, fontsize=11)
ax.set_yticks([2, 4, 6, 8])
ax.set_yticklabels(["2%", "4%", "6%", "8%"], color="gray")
ax.set_rlabel_position(100)

prevailing = directions[int(np.argmax(calm + moderate + strong))]
ax.set_title(f"Wind Rose at the Hill Ridge Site (prevailing: {prevailing})", fontsize=15,
             fontweight="bold", pad=20)
ax.legend(title="Wind speed", loc="upper right", bbox_to_anchor=(1.15, 1.08))

plt.tight_layout()
plt.show()
